// "redis://host[:port][/db]" -> host and port. Pure.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace roomcast::detail {

struct RedisEndpoint {
  std::string host;
  uint16_t port = 6379;
};

// Accepts redis:// URLs without credentials (the database number is ignored: pub/sub spans
// databases), and a bare "host:port". Bracketed IPv6 hosts are accepted ("redis://[::1]:6379").
std::optional<RedisEndpoint> parse_redis_url(std::string_view url);

}  // namespace roomcast::detail
