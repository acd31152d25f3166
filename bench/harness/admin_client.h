// Talks to roomcastd's admin endpoint (--profile): a blocking HTTP/1.1 request with a short
// timeout, outside the hot loops (once at the start and once at the end of the window).
#pragma once
#include <optional>
#include <string>

namespace roomcast::bench {

// The response body of METHOD base_url+path if the status is 200, else nullopt.
std::optional<std::string> admin_request(const std::string& base_url, const std::string& method,
                                         const std::string& path);

// Prints the server's stage breakdown (p50/p99/p99.9 per stage) from /debug/latency JSON.
void print_server_profile(const std::string& json);

}  // namespace roomcast::bench
