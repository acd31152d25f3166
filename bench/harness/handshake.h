// The client half of the WebSocket opening handshake (RFC 6455 section 4.1) for an
// Engine.IO v4 WebSocket session. Pure: the caller supplies the random key bytes; base64 is
// the engine's own (proto/eio), so client and server encode with one implementation.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "proto/eio/eio_payload.h"

namespace roomcast::bench::handshake {

// Sec-WebSocket-Key: base64 of 16 random bytes.
inline std::string make_key(const uint8_t random16[16]) {
  return eio::base64_encode(std::span<const uint8_t>(random16, 16));
}

// `path` is the Engine.IO path, e.g. "/socket.io/"; `host` the Host header value.
inline std::string request(std::string_view host, std::string_view path, std::string_view key,
                           bool engine_io = true) {
  std::string r = "GET ";
  r.append(path);
  if (engine_io) {
    r += path.find('?') == std::string_view::npos ? "?" : "&";
    r += "EIO=4&transport=websocket";
  }
  r += " HTTP/1.1\r\nHost: ";
  r.append(host);
  r += "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ";
  r.append(key);
  r += "\r\nSec-WebSocket-Version: 13\r\nUser-Agent: roomcast-bench\r\n\r\n";
  return r;
}

enum class Status { Incomplete, Ok, Error };

struct Result {
  Status status = Status::Incomplete;
  size_t head_bytes = 0;     // on Ok: bytes up to and including the blank line
  int http_status = 0;       // as sent by the server (when the status line was readable)
  std::string_view problem;  // on Error, for the user
};

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Checks the server's response head: status 101, Upgrade: websocket and the
// Sec-WebSocket-Accept matching our key (a proxy or a non-WebSocket server answering
// with something else would otherwise be measured as if it were the target).
inline Result parse_response(std::string_view buf, std::string_view expected_accept,
                             size_t max_head = 16384) {
  Result r;
  const size_t end = buf.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (buf.size() > max_head) {
      r.status = Status::Error;
      r.problem = "response head too large";
    }
    return r;
  }
  r.status = Status::Error;
  const std::string_view head = buf.substr(0, end + 2);
  size_t eol = head.find("\r\n");
  const std::string_view line = head.substr(0, eol);
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ') {
    r.problem = "not an HTTP/1.x response";
    return r;
  }
  for (size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') {
      r.problem = "bad status line";
      return r;
    }
    r.http_status = r.http_status * 10 + (line[i] - '0');
  }
  if (r.http_status != 101) {
    r.problem = "server refused the WebSocket upgrade";
    return r;
  }
  bool upgrade = false, accept = false;
  size_t pos = eol + 2;
  while (pos < head.size()) {
    eol = head.find("\r\n", pos);
    const std::string_view h = head.substr(pos, eol - pos);
    pos = eol + 2;
    const size_t colon = h.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = h.substr(0, colon), value = trim(h.substr(colon + 1));
    if (iequals(name, "upgrade")) upgrade = iequals(value, "websocket");
    else if (iequals(name, "sec-websocket-accept")) accept = value == expected_accept;
  }
  if (!upgrade) {
    r.problem = "101 without Upgrade: websocket";
    return r;
  }
  if (!accept) {
    r.problem = "wrong or missing Sec-WebSocket-Accept";
    return r;
  }
  r.status = Status::Ok;
  r.head_bytes = end + 4;
  return r;
}

}  // namespace roomcast::bench::handshake
