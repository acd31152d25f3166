// Fuzzes Args on arbitrary array texts, and forwarding: Args -> forward -> encode_event ->
// WebSocket frames -> decode -> Args must give back the same values.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "roomcast/args.h"
#include "proto/sio/sio_packet.h"
#include "proto/sio/wire_encode.h"

using namespace roomcast;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// Splits encoded bytes into WebSocket frame payloads (server frames: unmasked).
std::vector<std::string> frames_of(std::span<const uint8_t> b) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < b.size()) {
    check(b.size() - i >= 2 && (b[i] & 0x80) && !(b[i + 1] & 0x80));
    uint64_t len = b[i + 1] & 0x7F;
    size_t h = 2;
    if (len == 126) {
      len = uint64_t(b[i + 2]) << 8 | b[i + 3];
      h = 4;
    } else if (len == 127) {
      len = 0;
      for (size_t k = 0; k < 8; ++k) len = len << 8 | b[i + 2 + k];
      h = 10;
    }
    check(b.size() - i - h >= len);
    check((b[i] & 0x0F) == (out.empty() ? 1 : 2));  // text, then binary attachments
    out.emplace_back(reinterpret_cast<const char*>(b.data()) + i + h, len);
    i += h + len;
  }
  return out;
}

// Placeholders replaced by their attachment, so values compare across renumbering.
std::string resolve(std::string_view json, const std::vector<std::string>& atts) {
  std::string out;
  sio::PlaceholderScanner scan(json);
  sio::Placeholder p;
  size_t at = 0;
  while (scan.next(p)) {
    out.append(json.substr(at, p.begin - at));
    out.append(p.num < atts.size() ? "<" + atts[p.num] + ">" : "null");
    at = p.end;
  }
  out.append(json.substr(at));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t skip = data[0] & 3;
  const uint32_t natts = (data[0] >> 2) & 7;
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::string> atts;
  for (uint32_t k = 0; k < natts; ++k) atts.push_back(std::string(k * 3, char('a' + k)));

  auto args = Args::from_array(text, skip, atts);
  if (!args) return 0;
  for (size_t i = 0; i <= args->size(); ++i) {  // one past the end must be safe too
    (void)args->str(i);
    (void)args->i64(i);
    (void)args->f64(i);
    (void)args->boolean(i);
    if (auto b = args->binary(i)) check(b->size() < 3 * natts);
  }
  // Round trip only what a decoded packet could hold.
  if (!sio::json_valid(text) || !sio::placeholders_valid(text, natts)) return 0;

  std::vector<Arg> fwd = args->forward(0);
  std::optional<uint64_t> ack;
  if (size & 1) ack = size * 7919;
  detail::SharedFrame* frame = detail::encode_event("/f", "ev", fwd, ack);
  std::vector<std::string> frames = frames_of(frame->bytes());
  frame->release();
  check(!frames.empty() && !frames[0].empty() && frames[0][0] == '4');
  std::string packet_text = frames[0].substr(1);
  std::vector<std::string> got_atts(frames.begin() + 1, frames.end());

  sio::Packet p;
  check(sio::decode(packet_text, p, 64) == sio::DecodeError::None);
  check(p.attachments == got_atts.size() && p.nsp == "/f" && p.ack_id == ack);
  auto got = Args::from_array(std::string(p.data), 1, got_atts);
  check(got && got->size() == args->size());
  for (size_t i = 0; i < args->size(); ++i) {
    check(resolve(got->raw(i), got->attachments()) == resolve(args->raw(i), atts));
    check(got->str(i) == args->str(i));
    check(got->i64(i) == args->i64(i));
    check(got->boolean(i) == args->boolean(i));
    check(got->binary(i).has_value() == args->binary(i).has_value());
  }
  return 0;
}
