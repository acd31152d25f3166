// RFC 6455 framing, client side: masked frames out, unmasked server frames in.
// Pure: no I/O, no clocks (the caller supplies mask keys).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace roomcast::bench::wsc {

enum class Op : uint8_t { Continuation = 0, Text = 1, Binary = 2, Close = 8, Ping = 9, Pong = 10 };

inline size_t masked_frame_size(size_t payload_len) {
  return (payload_len < 126 ? 2 : payload_len <= 0xFFFF ? 4 : 10) + 4 + payload_len;
}

// XORs `n` bytes with the 4-byte key; p[0] takes key byte 0. Eight bytes per step since
// every outgoing byte (publishes at full rate) goes through here.
inline void apply_mask(uint8_t* p, size_t n, const uint8_t key[4]) {
  uint8_t k8[8] = {key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]};
  uint64_t k64;
  std::memcpy(&k64, k8, 8);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    w ^= k64;
    std::memcpy(p + i, &w, 8);
  }
  for (; i < n; ++i) p[i] ^= key[i & 3];
}

// Writes one final, masked frame to `out` (masked_frame_size(payload.size()) bytes).
// Returns the number of bytes written.
inline size_t write_masked(uint8_t* out, Op op, std::string_view payload, uint32_t mask_key) {
  const uint64_t len = payload.size();
  size_t h = 0;
  out[h++] = uint8_t(0x80 | uint8_t(op));
  if (len < 126) {
    out[h++] = uint8_t(0x80 | len);
  } else if (len <= 0xFFFF) {
    out[h++] = 0x80 | 126;
    out[h++] = uint8_t(len >> 8);
    out[h++] = uint8_t(len);
  } else {
    out[h++] = 0x80 | 127;
    for (int i = 0; i < 8; ++i) out[h++] = uint8_t(len >> (56 - 8 * i));
  }
  uint8_t key[4];
  std::memcpy(key, &mask_key, 4);
  std::memcpy(out + h, key, 4);
  h += 4;
  if (len) std::memcpy(out + h, payload.data(), len);
  apply_mask(out + h, len, key);
  return h + len;
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
