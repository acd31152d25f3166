// RFC 6455 WebSocket framing, server side. Pure: no I/O, no clocks.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
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

// XORs `n` bytes with the 4-byte masking key, where p[0] is payload byte number `offset` of
// the frame (the key's phase continues across chunks); masking and unmasking are the same
// operation. Eight bytes per step: every byte a client uploads is unmasked here, and the
// load generator masks every byte it publishes with it.
inline void mask_payload(uint8_t* p, size_t n, const uint8_t key[4], uint64_t offset = 0) {
  uint8_t k[8];
  for (size_t i = 0; i < 8; ++i) k[i] = key[(offset + i) & 3];
  uint64_t k64;
  std::memcpy(&k64, k, 8);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    w ^= k64;
    std::memcpy(p + i, &w, 8);
  }
  for (; i < n; ++i) p[i] ^= k[i & 7];
}

// A complete server frame (header + payload) as bytes.
std::string encode_frame(Opcode op, std::string_view payload);
// A close frame with a status code and a (UTF-8, <= 123 bytes) reason. A longer reason is
// cut at a code-point boundary so the peer's UTF-8 check still passes. kNoStatus (1005)
// must not appear on the wire, so it yields a close frame with an empty payload.
std::string encode_close(uint16_t code, std::string_view reason = {});

// True for codes a peer may send in a Close frame (RFC 6455 7.4 and the IANA registry:
// 1000-1003, 1007-1014, 3000-4999).
bool valid_received_close_code(uint16_t code);

// One complete message (fragments reassembled) or control frame.
struct Message {
  Opcode opcode;                      // Text, Binary, Close, Ping or Pong
  std::span<const uint8_t> payload;   // unmasked; valid until the next call to next()
                                      // (and while the caller's input buffer lives).
                                      // For Close: the reason only, without the code.
  uint16_t close_code = 0;            // for Close: the peer's code (kNoStatus if none)
};

enum class Status { NeedMore, Message, Error };

// Incremental parser of client->server frames. Feed it any split of the byte stream.
// Enforces: client masking, RSV bits zero, known opcodes, control frames <= 125 bytes and
// unfragmented, continuation ordering, max message size (1009), UTF-8 validity of text
// messages and close reasons (1007), valid close codes (1002).
// Too many fragments in one message is 1009 (a resource limit, like the size limit).
// Non-minimal length encodings are accepted: RFC 6455 puts that duty on the sender only.
class Parser {
 public:
  explicit Parser(size_t max_message_bytes = 1'000'000, size_t max_fragments = 1024);

  // Consumes bytes from the front of `in` (advancing it; may unmask in place) until one
  // message is complete (returns Message, `out` filled; payload is valid until the next
  // call), or all of `in` is consumed (NeedMore), or the stream is invalid (Error; see
  // error_code(); the parser stays in Error).
  // A frame that lies wholly inside `in` is returned as a span into `in` (no copy); only
  // partial frames and fragmented messages are copied.
  Status next(std::span<uint8_t>& in, Message& out);

  uint16_t error_code() const { return error_; }
  // Bytes held internally for partial frames or unfinished fragmented messages.
  size_t buffered_bytes() const { return message_.capacity() + hdr_len_ + ctrl_len(); }

 private:
  static constexpr size_t kMaxHeader = 14;  // 2 + 8 (length) + 4 (mask key)
  static constexpr size_t kMaxControl = 125;

  bool on_first_byte(uint8_t b0);
  bool on_second_byte(uint8_t b1);
  bool on_length(uint64_t len);
  enum class Step : uint8_t { More, Done, Failed };
  Step read_header(std::span<uint8_t>& in);
  Status read_control(std::span<uint8_t>& in, Message& out);
  Status read_data(std::span<uint8_t>& in, Message& out);
  Status finish_control(std::span<const uint8_t> payload, Message& out);
  bool check_text_progress(bool final);
  void end_frame();
  void reset_message();
  Status fail(uint16_t code) {
    error_ = code;
    return Status::Error;
  }
  bool reject(uint16_t code) {
    error_ = code;
    return false;
  }
  size_t ctrl_len() const { return in_payload_ && (opcode_ & 0x8) ? size_t(payload_done_) : 0; }

  size_t max_message_;
  size_t max_fragments_;
  uint16_t error_ = 0;

  // Current frame.
  uint8_t hdr_[kMaxHeader] = {};
  size_t hdr_len_ = 0;         // header bytes gathered so far
  bool in_payload_ = false;    // header complete, reading payload
  uint8_t opcode_ = 0;
  bool fin_ = false;
  uint8_t mask_[4] = {};
  uint64_t payload_len_ = 0;
  uint64_t payload_done_ = 0;  // payload bytes consumed (and unmasked) so far

  // Control frame split across calls; may arrive between fragments of a data message.
  uint8_t ctrl_[kMaxControl] = {};

  // Data message being assembled (a partial frame or several fragments).
  std::vector<uint8_t> message_;
  uint8_t message_opcode_ = 0;   // Text or Binary once a data frame has started
  bool in_fragmented_ = false;   // a non-final data frame was seen
  size_t fragments_ = 0;
  uint64_t message_total_ = 0;   // declared bytes of the message so far (size limit)
  size_t utf8_checked_ = 0;      // prefix of message_ known to be valid UTF-8
  bool release_pending_ = false; // message_ was handed out; drop it on the next call
};

}  // namespace roomcast::ws
