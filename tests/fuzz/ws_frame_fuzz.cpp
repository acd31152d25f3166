// Fuzzes the WebSocket frame parser. Input: [seed][limits][stream...].
// The stream is parsed twice, whole and cut into seed-driven chunks; both runs must yield
// the same messages and the same final status, and every message must satisfy the
// guarantees the parser documents (sizes, UTF-8, close codes). Memory must stay bounded.
#include "proto/ws/ws_frame.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <vector>

using namespace roomcast::ws;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool utf8(std::span<const uint8_t> s) {
  return simdjson::validate_utf8(reinterpret_cast<const char*>(s.data()), s.size());
}

struct Record {
  Opcode op;
  uint16_t code;
  std::vector<uint8_t> payload;
  bool operator==(const Record&) const = default;
};

struct Outcome {
  std::vector<Record> messages;
  Status status = Status::NeedMore;
  uint16_t error = 0;
  bool operator==(const Outcome&) const = default;
};

void check_message(const Message& m, size_t max_message) {
  switch (m.opcode) {
    case Opcode::Text:
      check(utf8(m.payload));
      [[fallthrough]];
    case Opcode::Binary:
      check(m.payload.size() <= max_message);
      check(m.close_code == 0);
      break;
    case Opcode::Ping:
    case Opcode::Pong:
      check(m.payload.size() <= 125);
      check(m.close_code == 0);
      break;
    case Opcode::Close:
      check(m.payload.size() <= 123);
      check(utf8(m.payload));
      if (m.close_code == close_code::kNoStatus) {
        check(m.payload.empty());
      } else {
        check(valid_received_close_code(m.close_code));
      }
      break;
    default:
      check(false);
  }
}

// chunk_seed 0 feeds everything at once.
Outcome run(const uint8_t* data, size_t size, size_t max_message, size_t max_fragments,
            uint32_t chunk_seed) {
  std::vector<uint8_t> buf(data, data + size);  // the parser unmasks in place
  Parser p(max_message, max_fragments);
  // A payload buffer may reach twice the limit through vector growth; the rest is the
  // partial header and control frame.
  const size_t memory_bound = 2 * max_message + 14 + 125;
  Outcome out;
  uint32_t rng = chunk_seed;
  size_t pos = 0;
  do {
    size_t n = size - pos;
    if (chunk_seed) {
      rng = rng * 1103515245u + 12345u;
      uint32_t r = rng >> 8;
      n = std::min<size_t>(n, (r & 1) ? 1 + (r >> 1) % 8 : 1 + (r >> 1) % 700);
    }
    std::span<uint8_t> in(buf.data() + pos, n);
    pos += n;
    Message m;
    size_t calls = 0;
    for (;;) {
      check(++calls <= n + 2);  // every message consumes at least one byte
      out.status = p.next(in, m);
      if (out.status != Status::Message) break;
      check_message(m, max_message);
      out.messages.push_back({m.opcode, m.close_code, {m.payload.begin(), m.payload.end()}});
    }
    if (out.status == Status::Error) {
      out.error = p.error_code();
      check(out.error == close_code::kProtocolError || out.error == close_code::kInvalidPayload ||
            out.error == close_code::kTooBig);
      return out;
    }
    check(in.empty());
    check(p.buffered_bytes() <= memory_bound);
  } while (pos < size);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  uint32_t seed = uint32_t(data[0]) * 2654435761u + 1;  // never 0: always chunked
  // Small limits make the size and fragment checks reachable with short inputs.
  size_t max_message = (data[1] & 0x80) ? 1'000'000 : size_t(data[1] & 0x70) * 4;
  size_t max_fragments = (data[1] & 0x0F) == 0 ? 1024 : (data[1] & 0x0F);
  data += 2;
  size -= 2;
  Outcome whole = run(data, size, max_message, max_fragments, 0);
  Outcome chunked = run(data, size, max_message, max_fragments, seed);
  check(whole == chunked);
  return 0;
}
