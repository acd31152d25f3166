// A small blocking WebSocket + Engine.IO client for engine tests (loopback only).
// Test code: simple and strict, with a receive timeout on every read.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace roomcast::testing {

class WsTestClient {
 public:
  struct Frame {
    uint8_t opcode = 0;
    std::string payload;
  };

  ~WsTestClient() { close_fd(); }

  // Connects and upgrades; returns the Engine.IO open packet text, or nullopt.
  std::optional<std::string> connect(uint16_t port, const std::string& path = "/socket.io/?EIO=4&transport=websocket") {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return std::nullopt;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n";
    if (!send_all(req)) return std::nullopt;
    // Read the response head.
    while (buf_.find("\r\n\r\n") == std::string::npos)
      if (!fill()) return std::nullopt;
    size_t end = buf_.find("\r\n\r\n") + 4;
    status_line_ = buf_.substr(0, buf_.find("\r\n"));
    buf_.erase(0, end);
    if (status_line_.find(" 101 ") == std::string::npos) return std::nullopt;
    auto f = read_frame();
    if (!f || f->opcode != 1) return std::nullopt;
    return f->payload;
  }

  // Sends a raw HTTP request and returns the whole response (until the server closes).
  std::string raw_http(uint16_t port, const std::string& request) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return {};
    send_all(request);
    while (fill()) {
    }
    return buf_;
  }

  bool send_text(const std::string& s) { return send_frame(1, s); }
  // Bytes exactly as given: for hand-built (possibly invalid) frames.
  bool send_raw(const std::string& bytes) { return send_all(bytes); }
  bool send_binary(const std::string& s) { return send_frame(2, s); }

  bool send_frame(uint8_t opcode, const std::string& payload, bool fin = true) {
    std::string f;
    f.push_back(char((fin ? 0x80 : 0) | opcode));
    size_t n = payload.size();
    if (n < 126) {
      f.push_back(char(0x80 | n));
    } else if (n <= 0xFFFF) {
      f.push_back(char(0x80 | 126));
      f.push_back(char(n >> 8));
      f.push_back(char(n));
    } else {
      f.push_back(char(0x80 | 127));
      for (int i = 7; i >= 0; --i) f.push_back(char(uint64_t(n) >> (8 * i)));
    }
    uint8_t mask[4];
    for (auto& m : mask) m = uint8_t(rng_());
    f.append(reinterpret_cast<char*>(mask), 4);
    for (size_t i = 0; i < n; ++i) f.push_back(char(payload[i] ^ mask[i % 4]));
    return send_all(f);
  }

  // Next frame from the server, or nullopt on timeout/close. Answers nothing by itself.
  std::optional<Frame> read_frame(int timeout_ms = 3000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
      if (buf_.size() >= 2) {
        uint8_t b0 = uint8_t(buf_[0]), b1 = uint8_t(buf_[1]);
        size_t len = b1 & 0x7F, hdr = 2;
        if (len == 126 && buf_.size() >= 4) {
          len = (uint8_t(buf_[2]) << 8) | uint8_t(buf_[3]);
          hdr = 4;
        } else if (len == 127 && buf_.size() >= 10) {
          len = 0;
          for (int i = 0; i < 8; ++i) len = (len << 8) | uint8_t(buf_[2 + i]);
          hdr = 10;
        } else if (len >= 126) {
          hdr = 0;
        }
        if (hdr && buf_.size() >= hdr + len) {
          Frame f{uint8_t(b0 & 0x0F), buf_.substr(hdr, len)};
          buf_.erase(0, hdr + len);
          return f;
        }
      }
      int left = int(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
      if (left <= 0 || !fill(left)) return std::nullopt;
    }
  }

  // Next Engine.IO text packet, answering server pings ("2" -> "3") when auto_pong.
  std::optional<std::string> read_text(int timeout_ms = 3000, bool auto_pong = true) {
    while (true) {
      auto f = read_frame(timeout_ms);
      if (!f) return std::nullopt;
      if (f->opcode == 8) {
        closed_code_ = f->payload.size() >= 2 ? (uint8_t(f->payload[0]) << 8) | uint8_t(f->payload[1]) : 1005;
        return std::nullopt;
      }
      if (f->opcode != 1) continue;
      if (auto_pong && f->payload == "2") {
        send_text("3");
        continue;
      }
      return f->payload;
    }
  }

  // True once the server has closed the TCP connection (read returns 0) within timeout.
  // The client then closes its end, as browsers and ws do on the server's FIN (the server
  // keeps reading until then: Config::close_linger_ms).
  bool wait_closed(int timeout_ms = 3000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
      int left = int(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
      if (left <= 0) return false;
      if (!fill(left)) {
        if (eof_) close_fd();
        return eof_;
      }
      if (buf_.size() > (1 << 20)) buf_.clear();
    }
  }

  int closed_code() const { return closed_code_; }
  const std::string& status_line() const { return status_line_; }
  int fd() const { return fd_; }
  void close_fd() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  bool send_all(const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += size_t(n);
    }
    return true;
  }
  bool fill(int timeout_ms = 3000) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buf_.append(tmp, size_t(n));
    return true;
  }

  int fd_ = -1;
  std::string buf_;
  std::string status_line_;
  bool eof_ = false;
  int closed_code_ = 0;
  std::mt19937 rng_{12345};
};

}  // namespace roomcast::testing
