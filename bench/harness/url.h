// The target URL: scheme, host and port. Pure.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace roomcast::bench {

struct TargetUrl {
  std::string host;         // without brackets for IPv6 literals
  uint16_t port = 80;
  std::string host_header;  // host[:port] as the Host header wants it
};

// Accepts http:// and ws:// (TLS is not supported: the harness measures servers, not
// crypto). A path other than "/" is refused: Socket.IO clients read it as the namespace,
// which here is --namespace, and silently ignoring it would test the wrong namespace.
inline std::optional<TargetUrl> parse_url(std::string_view url, std::string& error) {
  std::string_view rest;
  if (url.substr(0, 7) == "http://") rest = url.substr(7);
  else if (url.substr(0, 5) == "ws://") rest = url.substr(5);
  else {
    error = url.substr(0, 8) == "https://" || url.substr(0, 6) == "wss://"
                ? "TLS URLs are not supported; use http:// or ws://"
                : "URL must start with http:// or ws://";
    return std::nullopt;
  }
  const size_t slash = rest.find('/');
  if (slash != std::string_view::npos) {
    const std::string_view path = rest.substr(slash);
    if (path != "/") {
      error = "URL path '" + std::string(path) + "' not supported: use --path and --namespace";
      return std::nullopt;
    }
    rest = rest.substr(0, slash);
  }
  TargetUrl t;
  std::string_view host = rest, port;
  if (!rest.empty() && rest[0] == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      error = "unterminated IPv6 literal in URL";
      return std::nullopt;
    }
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') {
        error = "bad URL authority";
        return std::nullopt;
      }
      port = rest.substr(close + 2);
    }
  } else if (const size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) {
    error = "URL has no host";
    return std::nullopt;
  }
  if (!port.empty()) {
    uint32_t p = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || (p = p * 10 + uint32_t(c - '0')) > 65535) {
        error = "bad port in URL";
        return std::nullopt;
      }
    }
    if (p == 0) {
      error = "bad port in URL";
      return std::nullopt;
    }
    t.port = uint16_t(p);
  }
  t.host = std::string(host);
  t.host_header = std::string(rest);
  return t;
}

}  // namespace roomcast::bench
