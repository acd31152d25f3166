// RFC 6455 WebSocket framing, server side. Pure: no I/O, no clocks.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace roomcast::ws {

enum class Opcode : uint8_t { Continuation = 0, Text = 1, Binary = 2, Close = 8, Ping = 9, Pong = 10 };

namespace close_code {
inline constexpr uint16_t kNormal = 1000;
inline constexpr uint16_t kGoingAway = 1001;
inline constexpr uint16_t kProtocolError = 1002;
inline constexpr uint16_t kUnsupportedData = 1003;
inline constexpr uint16_t kNoStatus = 1005;  // never sent on the wire
inline constexpr uint16_t kInvalidPayload = 1007;
inline constexpr uint16_t kPolicyViolation = 1008;
inline constexpr uint16_t kTooBig = 1009;
inline constexpr uint16_t kInternalError = 1011;
}  // namespace close_code

inline constexpr size_t kMaxServerHeader = 10;

// Writes the header of an unmasked, final server frame carrying `len` payload bytes.
// Returns the header length (2, 4 or 10).
inline size_t encode_header(Opcode op, uint64_t len, uint8_t* out) {
  out[0] = uint8_t(0x80 | uint8_t(op));
  if (len < 126) {
    out[1] = uint8_t(len);
    return 2;
  }
  if (len <= 0xFFFF) {
    out[1] = 126;
    out[2] = uint8_t(len >> 8);
    out[3] = uint8_t(len);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = uint8_t(len >> (56 - 8 * i));
  return 10;
}

inline size_t header_size(uint64_t len) { return len < 126 ? 2 : (len <= 0xFFFF ? 4 : 10); }

// A complete server frame (header + payload) as bytes.
std::string encode_frame(Opcode op, std::string_view payload);
// A close frame with a status code and a (UTF-8, <= 123 bytes) reason.
std::string encode_close(uint16_t code, std::string_view reason = {});

// One complete message (fragments reassembled) or control frame.
struct Message {
  Opcode opcode;                      // Text, Binary, Close, Ping or Pong
  std::span<const uint8_t> payload;   // unmasked; valid until the next call to next()
  uint16_t close_code = 0;            // for Close: the peer's code (kNoStatus if none)
};

enum class Status { NeedMore, Message, Error };

// Incremental parser of client->server frames. Feed it any split of the byte stream.
// Enforces: client masking, RSV bits zero, known opcodes, control frames <= 125 bytes and
// unfragmented, continuation ordering, max message size (1009), UTF-8 validity of text
// messages and close reasons (1007), valid close codes (1002).
class Parser {
 public:
  explicit Parser(size_t max_message_bytes = 1'000'000, size_t max_fragments = 1024);

  // Consumes bytes from the front of `in` (advancing it; may unmask in place) until one
  // message is complete (returns Message, `out` filled; payload is valid until the next
  // call), or all of `in` is consumed (NeedMore), or the stream is invalid (Error; see
  // error_code(); the parser stays in Error).
  Status next(std::span<uint8_t>& in, Message& out);

  uint16_t error_code() const { return error_; }
  // Bytes held internally for partial frames or unfinished fragmented messages.
  size_t buffered_bytes() const { return partial_.capacity() + message_.capacity(); }

 private:
  size_t max_message_;
  size_t max_fragments_;
  uint16_t error_ = 0;
  // Implementation state (see ws_frame.cpp).
  std::vector<uint8_t> partial_;   // incomplete frame bytes carried across calls
  std::vector<uint8_t> message_;   // fragments of a message in progress
  Opcode message_opcode_ = Opcode::Continuation;
  bool in_fragmented_ = false;
  size_t fragments_ = 0;
  size_t consumed_partial_ = 0;    // bytes of partial_ already returned
};

}  // namespace roomcast::ws
