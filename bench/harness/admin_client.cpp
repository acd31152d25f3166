#include "admin_client.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <simdjson.h>

#include "url.h"

namespace roomcast::bench {

std::optional<std::string> admin_request(const std::string& base_url, const std::string& method,
                                         const std::string& path) {
  std::string error;
  auto url = parse_url(base_url, error);
  if (!url) return std::nullopt;
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(url->host.c_str(), std::to_string(url->port).c_str(), &hints, &res) != 0) return std::nullopt;
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{2, 0};  // a stuck admin endpoint must not hold the run
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  bool ok = ::connect(fd, res->ai_addr, res->ai_addrlen) == 0;
  freeaddrinfo(res);
  std::string resp;
  if (ok) {
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: " + url->host_header +
                      "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    ok = ::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == ssize_t(req.size());
    char buf[8192];
    ssize_t n;
    while (ok && resp.size() < (1 << 20) && (n = ::recv(fd, buf, sizeof(buf), 0)) > 0) resp.append(buf, size_t(n));
  }
  ::close(fd);
  if (!ok || resp.rfind("HTTP/1.1 200", 0) != 0) return std::nullopt;
  size_t body = resp.find("\r\n\r\n");
  if (body == std::string::npos) return std::nullopt;
  std::string out = resp.substr(body + 4);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

void print_server_profile(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::object stages;
  if (parser.parse(json).get(doc) || doc["stages"].get_object().get(stages)) {
    std::printf("  server stages  (profile unreadable)\n");
    return;
  }
  uint64_t broadcasts = 0;
  if (doc["broadcasts"].get_uint64().get(broadcasts)) broadcasts = 0;
  std::printf("  server stages  %llu shard-level broadcasts profiled (us: p50 / p99 / p99.9)\n",
              (unsigned long long)broadcasts);
  for (auto [name, st] : stages) {
    double p50 = 0, p99 = 0, p999 = 0;
    if (st["p50_us"].get_double().get(p50)) p50 = 0;
    if (st["p99_us"].get_double().get(p99)) p99 = 0;
    if (st["p999_us"].get_double().get(p999)) p999 = 0;
    std::printf("    %-10.*s %10.1f %10.1f %10.1f\n", int(name.size()), name.data(), p50, p99, p999);
  }
}

}  // namespace roomcast::bench
