// Engine.IO long-polling requests for engine tests: one request per fresh loopback
// connection ("Connection: close"), read until the server closes, with a deadline.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace roomcast::testing {

struct Reply {
  int status = 0;  // 0: no complete response in time
  std::string body;
};

// One request on a fresh connection ("Connection: close"), read until the server closes.
inline Reply http(uint16_t port, const std::string& method, const std::string& target, const std::string& body = "",
           int timeout_ms = 3000) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  Reply r;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return r;
  }
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  (void)!::write(fd, req.data(), req.size());
  std::string in;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    int left = int(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, left) <= 0) break;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) {
      size_t head = in.find("\r\n\r\n");
      if (in.rfind("HTTP/1.1 ", 0) == 0 && head != std::string::npos) {
        r.status = std::stoi(in.substr(9, 3));
        r.body = in.substr(head + 4);
      }
      break;
    }
    in.append(buf, size_t(n));
  }
  ::close(fd);
  return r;
}

inline const std::string kBase = "/socket.io/?EIO=4&transport=polling";

inline std::string handshake(uint16_t port) {
  Reply r = http(port, "GET", kBase);
  if (r.status != 200 || r.body.rfind("0{\"sid\":\"", 0) != 0) return {};
  return r.body.substr(9, 20);
}

}  // namespace roomcast::testing
