// The least of RFC 6455 a benchmark client needs from a server: the upgrade
// answer, unfragmented masked client frames in, unmasked frames out.
// Pure functions over bytes; the ceiling server owns all I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ceiling {

enum class WsOp : uint8_t { Continuation = 0, Text = 1, Binary = 2, Close = 8, Ping = 9, Pong = 10 };

enum class FrameStatus { NeedMore, Ok, Bad };

struct ClientFrame {
  FrameStatus status = FrameStatus::NeedMore;
  WsOp op = WsOp::Text;
  bool fin = true;
  std::string_view payload;  // unmasked in place, inside the input buffer
  size_t consumed = 0;       // bytes of the input this frame took
};

// Parses one frame at the start of `buf`, unmasking its payload in place.
// Unmasked client frames and payloads above `max_payload` are Bad, as a
// server must refuse them.
ClientFrame parse_client_frame(std::span<char> buf, size_t max_payload);

// Writes the header of an unmasked, final server frame; returns its length (2..10).
size_t server_frame_header(WsOp op, size_t payload_len, char out[10]);

// Appends header + payload.
void append_server_frame(std::string& out, WsOp op, std::string_view payload);

struct Upgrade {
  bool complete = false;      // the header block has ended
  bool websocket = false;     // an Engine.IO v4 WebSocket upgrade we can serve
  std::string_view key;       // Sec-WebSocket-Key
  size_t header_len = 0;      // bytes up to and including the blank line
};

// Looks at the bytes of an HTTP request received so far.
Upgrade parse_upgrade(std::string_view req);

// Sec-WebSocket-Accept for a client key.
std::string accept_key(std::string_view client_key);

}  // namespace ceiling
