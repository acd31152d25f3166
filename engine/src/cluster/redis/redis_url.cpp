#include "cluster/redis/redis_url.h"

#include <charconv>

namespace roomcast::detail {

std::optional<RedisEndpoint> parse_redis_url(std::string_view url) {
  constexpr std::string_view scheme = "redis://";
  if (url.substr(0, scheme.size()) == scheme) url.remove_prefix(scheme.size());
  if (auto slash = url.find('/'); slash != std::string_view::npos) url = url.substr(0, slash);
  if (url.find('@') != std::string_view::npos) return std::nullopt;  // credentials: not supported
  RedisEndpoint ep;
  std::string_view port;
  if (!url.empty() && url.front() == '[') {
    const size_t close = url.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    ep.host = std::string(url.substr(1, close - 1));
    url.remove_prefix(close + 1);
    if (!url.empty()) {
      if (url.front() != ':') return std::nullopt;
      port = url.substr(1);
    }
  } else {
    const size_t colon = url.rfind(':');
    ep.host = std::string(url.substr(0, colon));
    if (colon != std::string_view::npos) port = url.substr(colon + 1);
  }
  if (ep.host.empty()) return std::nullopt;
  if (!port.empty() || url.find(':') != std::string_view::npos) {
    unsigned v = 0;
    auto r = std::from_chars(port.data(), port.data() + port.size(), v);
    if (r.ec != std::errc() || r.ptr != port.data() + port.size() || v == 0 || v > 65535) return std::nullopt;
    ep.port = uint16_t(v);
  }
  return ep;
}

}  // namespace roomcast::detail
