// Fuzzes the Socket.IO packet decoder and the JSON text helpers on arbitrary bytes, and
// checks what must hold whenever they accept something.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "util/json_text.h"
#include "roomcast/args.h"
#include "proto/sio/sio_packet.h"

using namespace roomcast::sio;
namespace json = roomcast::json;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool inside(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

// Re-encodes a decoded packet the way socket.io-parser would.
std::string reencode(const Packet& p) {
  std::string out(1, char('0' + int(p.type)));
  if (p.type == Type::BinaryEvent || p.type == Type::BinaryAck) {
    out += std::to_string(p.attachments) + "-";
  }
  if (p.nsp != "/") out += std::string(p.nsp) + ",";
  if (p.ack_id) out += std::to_string(*p.ack_id);
  out += p.data;
  return out;
}

void check_json_helpers(std::string_view in) {
  bool valid = json_valid(in);
  std::vector<std::string_view> parts;
  bool array = split_array(in, parts);
  for (std::string_view part : parts) check(inside(part, in));
  size_t first = in.find_first_not_of(" \t\r\n");
  if (valid && first != std::string_view::npos && in[first] == '[') {
    check(array);  // the scanner agrees with simdjson on valid arrays
    for (std::string_view part : parts) check(json_valid(part));
  }

  PlaceholderScanner scan(in);
  Placeholder p;
  size_t last_end = 0;
  while (scan.next(p)) {
    check(p.begin >= last_end && p.begin < p.end && p.end <= in.size());
    check(as_placeholder(in.substr(p.begin, p.end - p.begin)) == p.num);
    last_end = p.end;
  }
  if (!may_hold_placeholders(in)) check(placeholders_valid(in, 0));
  (void)placeholders_valid(in, uint32_t(in.size() % 80));

  // Escaping always yields a valid literal that reads back to what was escaped (after
  // invalid UTF-8 became U+FFFD).
  std::string lit;
  json::append_string(lit, in);
  check(lit.size() == json::string_size(in));
  check(json_valid(lit));
  auto back = json::parse_string(lit);
  check(back.has_value());
  std::string again;
  json::append_string(again, *back);
  check(again == lit);
  if (auto s = json::parse_string(in)) (void)s->size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  check_json_helpers(in);
  (void)parse_eio_text(in);

  Packet p;
  if (decode(in, p, 10) != DecodeError::None) return 0;
  bool binary = p.type == Type::BinaryEvent || p.type == Type::BinaryAck;
  check(binary ? p.attachments <= 10 : p.attachments == 0);
  check(!p.nsp.empty() && p.nsp[0] == '/' && p.nsp.find(',') == std::string_view::npos);
  check(!p.ack_id || *p.ack_id < 1000000000000000ULL);
  if (!p.data.empty()) {
    check(json_valid(p.data));
    check(placeholders_valid(p.data, p.attachments));
  }
  if (p.type == Type::Event || p.type == Type::BinaryEvent || p.type == Type::Ack ||
      p.type == Type::BinaryAck) {
    auto args = roomcast::Args::from_array(std::string(p.data), 1,
                                           std::vector<std::string>(p.attachments, "x"));
    check(args.has_value());
    for (size_t i = 0; i < args->size(); ++i) check(json_valid(args->raw(i)));
  }

  // What we decoded, re-encoded canonically, decodes to the same packet.
  std::string again = reencode(p);
  Packet q;
  check(decode(again, q, 10) == DecodeError::None);
  check(q.type == p.type && q.attachments == p.attachments && q.nsp == p.nsp &&
        q.ack_id == p.ack_id && q.data == p.data);
  return 0;
}
