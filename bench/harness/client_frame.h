// RFC 6455 framing, client side: masked frames out, unmasked server frames in.
// Pure: no I/O, no clocks (the caller supplies mask keys).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "proto/ws/ws_frame.h"

namespace roomcast::bench::wsc {

using Op = ws::Opcode;

inline size_t masked_frame_size(size_t payload_len) { return ws::header_size(payload_len) + 4 + payload_len; }

// Writes one final, masked frame to `out` (masked_frame_size(payload.size()) bytes): the
// server's header layout with the mask bit set, then the key and the masked payload.
// Returns the number of bytes written.
inline size_t write_masked(uint8_t* out, Op op, std::string_view payload, uint32_t mask_key) {
  size_t h = ws::encode_header(op, payload.size(), out);
  out[1] |= 0x80;
  uint8_t key[4];
  std::memcpy(key, &mask_key, 4);
  std::memcpy(out + h, key, 4);
  h += 4;
  if (!payload.empty()) std::memcpy(out + h, payload.data(), payload.size());
  ws::mask_payload(out + h, payload.size(), key);
  return h + payload.size();
}

// Appends one final, masked frame to `out` (amortised growth, no per-call allocation
// once the buffer has reached its working size).
inline void append_masked(std::string& out, Op op, std::string_view payload, uint32_t mask_key) {
  const size_t at = out.size();
  out.resize(at + masked_frame_size(payload.size()));
  write_masked(reinterpret_cast<uint8_t*>(out.data() + at), op, payload, mask_key);
}

struct ServerFrame {
  Op op = Op::Text;
  bool fin = true;
  std::string_view payload;  // a view into the parsed input
};

enum class FrameStatus { NeedMore, Frame, Error };

// Parses the frame at the start of `in`. On Frame, `consumed` is its total size and
// `f.payload` points into `in`. Error when the server masks (forbidden), sets RSV bits (no
// extension was negotiated), uses an unknown opcode, sends a control frame that is
// fragmented or longer than 125 bytes, or announces more than `max_payload` bytes
// (checked before the payload arrives, so a bogus length cannot make the caller buffer it).
inline FrameStatus parse_server_frame(std::string_view in, ServerFrame& f, size_t& consumed,
                                      uint64_t max_payload = uint64_t(64) << 20) {
  if (in.size() < 2) return FrameStatus::NeedMore;
  const auto* p = reinterpret_cast<const uint8_t*>(in.data());
  const uint8_t op = p[0] & 0x0F;
  const bool fin = p[0] & 0x80;
  if (p[0] & 0x70) return FrameStatus::Error;
  if (p[1] & 0x80) return FrameStatus::Error;
  const bool control = op & 0x8;
  if (!(op <= 2 || (op >= 8 && op <= 10))) return FrameStatus::Error;
  uint64_t len = p[1] & 0x7F;
  size_t h = 2;
  if (control && (!fin || len > 125)) return FrameStatus::Error;
  if (len == 126) {
    if (in.size() < 4) return FrameStatus::NeedMore;
    len = (uint64_t(p[2]) << 8) | p[3];
    h = 4;
  } else if (len == 127) {
    if (in.size() < 10) return FrameStatus::NeedMore;
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
    h = 10;
  }
  if (len > max_payload) return FrameStatus::Error;
  if (in.size() - h < len) return FrameStatus::NeedMore;
  f.op = Op(op);
  f.fin = fin;
  f.payload = in.substr(h, size_t(len));
  consumed = h + size_t(len);
  return FrameStatus::Frame;
}

}  // namespace roomcast::bench::wsc
