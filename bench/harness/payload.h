// The measured message: publish packets out, "message" events in. Pure: no I/O, no clocks
// (timestamps are passed in).
//
// The payload is one JSON string `p<publisher>:s<seq>:t<ns>:xxxx...` padded with 'x' to
// the requested size. It contains nothing that JSON escapes, so every server relays it
// byte for byte and the receiver can read the three numbers from a fixed prefix of the
// frame without a JSON parser.
#pragma once
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

namespace roomcast::bench::payload {

struct Stamp {
  uint32_t publisher = 0;
  uint64_t seq = 0;
  uint64_t t_ns = 0;  // CLOCK_MONOTONIC send time (intended send time at a fixed rate)
};

// Longest stamp prefix: "p" + 10 digits + ":s" + 20 + ":t" + 20 + ":".
inline constexpr size_t kMaxStampBytes = 1 + 10 + 2 + 20 + 2 + 20 + 1;

inline char* write_u64(char* out, uint64_t v) {
  char tmp[20];
  size_t n = 0;
  do {
    tmp[n++] = char('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) *out++ = tmp[--n];
  return out;
}

// Writes the payload text (without quotes): max(pad_to, stamp length) bytes.
inline size_t write_payload(char* out, size_t pad_to, const Stamp& s) {
  char* p = out;
  *p++ = 'p';
  p = write_u64(p, s.publisher);
  *p++ = ':';
  *p++ = 's';
  p = write_u64(p, s.seq);
  *p++ = ':';
  *p++ = 't';
  p = write_u64(p, s.t_ns);
  *p++ = ':';
  size_t n = size_t(p - out);
  if (n < pad_to) {
    std::memset(p, 'x', pad_to - n);
    n = pad_to;
  }
  return n;
}

// Builds `42[/nsp,]["publish","<room>","<payload>"]` (or, for plain WebSocket pub/sub
// servers, `pub <room> <payload>`) for one publisher: the part before the payload is fixed
// per publisher and prepared once.
class PublishEncoder {
 public:
  PublishEncoder() = default;
  PublishEncoder(std::string_view nsp_prefix, std::string_view room, size_t pad_to) : pad_(pad_to) {
    head_ = "42";
    head_.append(nsp_prefix);
    head_ += "[\"publish\",\"";
    head_.append(room);
    head_ += "\",\"";
  }
  static PublishEncoder raw(std::string_view room, size_t pad_to) {
    PublishEncoder e;
    e.pad_ = pad_to;
    e.raw_ = true;
    e.head_ = "pub ";
    e.head_.append(room);
    e.head_ += ' ';
    return e;
  }
  size_t max_size() const { return head_.size() + std::max(pad_, kMaxStampBytes) + 2; }
  // Writes the packet text to `out` (max_size() bytes available); returns its length.
  size_t write(char* out, const Stamp& s) const {
    std::memcpy(out, head_.data(), head_.size());
    size_t n = head_.size();
    n += write_payload(out + n, pad_, s);
    if (!raw_) {
      out[n++] = '"';
      out[n++] = ']';
    }
    return n;
  }

 private:
  std::string head_;
  size_t pad_ = 0;
  bool raw_ = false;
};

inline bool read_u64(std::string_view s, size_t& i, uint64_t& v, int max_digits) {
  v = 0;
  int d = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    if (++d > max_digits) return false;
    v = v * 10 + uint64_t(s[i++] - '0');
  }
  return d > 0;
}

enum class Parse : uint8_t { Ok, NotMessage, Malformed };

inline Parse parse_stamp(std::string_view data, Stamp& out);

// Reads the stamp from the JSON of a Socket.IO EVENT (after namespace and ack id):
// `["message","p<id>:s<seq>:t<ns>:...`. NotMessage for any other event; Malformed for a
// "message" whose first argument is not one of our stamps.
inline Parse parse_message(std::string_view data, Stamp& out) {
  static constexpr std::string_view kHead = "[\"message\",\"";
  if (data.substr(0, kHead.size()) == kHead) {
    data = data.substr(kHead.size());
  } else {
    // The slow path tolerates whitespace inside the array (no known server writes any).
    auto ws = [&](size_t i) {
      while (i < data.size() && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r')) ++i;
      return i;
    };
    size_t i = ws(0);
    if (i >= data.size() || data[i] != '[') return Parse::NotMessage;
    i = ws(i + 1);
    if (data.substr(i, 9) != "\"message\"") return Parse::NotMessage;
    i = ws(i + 9);
    if (i >= data.size() || data[i] != ',') return Parse::Malformed;
    i = ws(i + 1);
    if (i >= data.size() || data[i] != '"') return Parse::Malformed;
    data = data.substr(i + 1);
  }
  return parse_stamp(data, out);
}

// Reads a stamp at the start of `data` (a plain pub/sub server's message is the payload
// itself). Malformed unless it starts with one of our stamps.
inline Parse parse_stamp(std::string_view data, Stamp& out) {
  size_t i = 0;
  uint64_t pub = 0, seq = 0, t = 0;
  if (i >= data.size() || data[i++] != 'p') return Parse::Malformed;
  if (!read_u64(data, i, pub, 10) || pub > UINT32_MAX) return Parse::Malformed;
  if (data.substr(i, 2) != ":s") return Parse::Malformed;
  i += 2;
  if (!read_u64(data, i, seq, 20)) return Parse::Malformed;
  if (data.substr(i, 2) != ":t") return Parse::Malformed;
  i += 2;
  if (!read_u64(data, i, t, 20)) return Parse::Malformed;
  if (i >= data.size() || data[i] != ':') return Parse::Malformed;
  out.publisher = uint32_t(pub);
  out.seq = seq;
  out.t_ns = t;
  return Parse::Ok;
}

}  // namespace roomcast::bench::payload
