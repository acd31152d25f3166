// Encode-once: one sizing pass, one allocation, one writing pass. Both passes walk the
// arguments the same way, so the writer never reallocates and never builds temporaries.
#include "proto/sio/wire_encode.h"

#include <cassert>
#include <charconv>
#include <cstring>
#include <string>

#include "util/json_text.h"
#include "proto/sio/sio_packet.h"
#include "proto/ws/ws_frame.h"

namespace roomcast::detail {
namespace {

constexpr std::string_view kPlaceholderHead = "{\"_placeholder\":true,\"num\":";

size_t digits(uint64_t v) {
  size_t n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

size_t placeholder_size(uint32_t k) { return kPlaceholderHead.size() + digits(k) + 1; }

size_t attachment_frame_size(size_t bytes) { return ws::header_size(bytes) + bytes; }

// An empty raw text would make the array invalid JSON; `null` is what it stands for.
std::string_view json_or_null(std::string_view t) { return t.empty() ? "null" : t; }

// Only forwarded values whose packet had attachments can hold placeholders (decode
// rejects them elsewhere), and most texts are ruled out by a substring search.
bool forwards_attachments(const Arg& a) {
  return a.kind() == Arg::Kind::Forward && a.attachments() != nullptr &&
         !a.attachments()->empty() && sio::may_hold_placeholders(a.text());
}

struct Plan {
  size_t args_text = 0;         // the argument texts, separators excluded
  uint32_t attachments = 0;
  size_t attachment_bytes = 0;  // attachment frames, headers included
};

void plan_arg(const Arg& a, Plan& p) {
  switch (a.kind()) {
    case Arg::Kind::String:
      p.args_text += json::string_size(a.text());
      return;
    case Arg::Kind::Json:
      p.args_text += json_or_null(a.text()).size();
      return;
    case Arg::Kind::Binary:
      p.args_text += placeholder_size(p.attachments++);
      p.attachment_bytes += attachment_frame_size(a.bytes().size());
      return;
    case Arg::Kind::Forward:
      break;
  }
  if (!forwards_attachments(a)) {
    p.args_text += json_or_null(a.text()).size();
    return;
  }
  const auto& atts = *a.attachments();
  size_t size = a.text().size();
  sio::PlaceholderScanner scan(a.text());
  sio::Placeholder ph;
  while (scan.next(ph)) {
    size -= ph.end - ph.begin;
    if (ph.num < atts.size()) {
      size += placeholder_size(p.attachments++);
      p.attachment_bytes += attachment_frame_size(atts[ph.num].size());
    } else {
      size += 4;  // a placeholder without its attachment is written as null
    }
  }
  p.args_text += size;
}

// Writes packet text at `text` and attachment frames at `att` (which starts right after
// the text frame), numbering attachments in textual order.
struct Writer {
  char* text;
  uint8_t* att;
  uint32_t next = 0;

  void put(std::string_view s) {
    std::memcpy(text, s.data(), s.size());
    text += s.size();
  }
  void put_number(uint64_t v) { text = std::to_chars(text, text + 20, v).ptr; }
  void attachment(const void* bytes, size_t size) {
    put(kPlaceholderHead);
    put_number(next++);
    *text++ = '}';
    att += ws::encode_header(ws::Opcode::Binary, size, att);
    if (size != 0) std::memcpy(att, bytes, size);
    att += size;
  }

  void arg(const Arg& a) {
    switch (a.kind()) {
      case Arg::Kind::String:
        text = json::write_string(text, a.text());
        return;
      case Arg::Kind::Json:
        put(json_or_null(a.text()));
        return;
      case Arg::Kind::Binary:
        attachment(a.bytes().data(), a.bytes().size());
        return;
      case Arg::Kind::Forward:
        break;
    }
    if (!forwards_attachments(a)) {
      put(json_or_null(a.text()));
      return;
    }
    const auto& atts = *a.attachments();
    std::string_view src = a.text();
    size_t copied = 0;
    sio::PlaceholderScanner scan(src);
    sio::Placeholder ph;
    while (scan.next(ph)) {
      put(src.substr(copied, ph.begin - copied));
      if (ph.num < atts.size()) {
        attachment(atts[ph.num].data(), atts[ph.num].size());
      } else {
        put("null");
      }
      copied = ph.end;
    }
    put(src.substr(copied));
  }
};

bool writes_nsp(std::string_view nsp) { return !nsp.empty() && nsp != "/"; }

// `4<type>[<n>-][<nsp>,][<ack>][<event>,<args...>]` + attachment frames.
SharedFrame* encode_packet(char plain_type, char binary_type, std::string_view nsp,
                           const std::string_view* event, std::span<const Arg> args,
                           std::optional<uint64_t> ack_id, uint32_t initial_refs) {
  Plan plan;
  for (const Arg& a : args) plan_arg(a, plan);
  const size_t elements = args.size() + (event ? 1 : 0);
  const bool binary = plan.attachments > 0;

  size_t text_size = 2;  // "4" and the packet type
  if (binary) text_size += digits(plan.attachments) + 1;
  if (writes_nsp(nsp)) text_size += nsp.size() + 1;
  if (ack_id) text_size += digits(*ack_id);
  text_size += 2 + plan.args_text + (elements > 0 ? elements - 1 : 0);
  if (event) text_size += json::string_size(*event);

  const size_t header = ws::header_size(text_size);
  const size_t total = header + text_size + plan.attachment_bytes;
  SharedFrame* frame = SharedFrame::create(total, initial_refs);
  uint8_t* base = frame->mutable_data();
  ws::encode_header(ws::Opcode::Text, text_size, base);

  Writer w{reinterpret_cast<char*>(base + header), base + header + text_size};
  *w.text++ = '4';
  *w.text++ = binary ? binary_type : plain_type;
  if (binary) {
    w.put_number(plan.attachments);
    *w.text++ = '-';
  }
  if (writes_nsp(nsp)) {
    w.put(nsp);
    *w.text++ = ',';
  }
  if (ack_id) w.put_number(*ack_id);
  *w.text++ = '[';
  if (event) w.text = json::write_string(w.text, *event);
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0 || event) *w.text++ = ',';
    w.arg(args[i]);
  }
  *w.text++ = ']';
  assert(reinterpret_cast<uint8_t*>(w.text) == base + header + text_size);
  assert(w.att == base + total);
  assert(w.next == plan.attachments);
  return frame;
}

}  // namespace

SharedFrame* encode_event(std::string_view nsp, std::string_view event, std::span<const Arg> args,
                          std::optional<uint64_t> ack_id, uint32_t initial_refs) {
  return encode_packet('2', '5', nsp, &event, args, ack_id, initial_refs);
}

SharedFrame* encode_ack(std::string_view nsp, uint64_t ack_id, std::span<const Arg> args,
                        uint32_t initial_refs) {
  return encode_packet('3', '6', nsp, nullptr, args, ack_id, initial_refs);
}

SharedFrame* encode_text(std::string_view eio_text, uint32_t initial_refs) {
  const size_t header = ws::header_size(eio_text.size());
  SharedFrame* frame = SharedFrame::create(header + eio_text.size(), initial_refs);
  uint8_t* base = frame->mutable_data();
  ws::encode_header(ws::Opcode::Text, eio_text.size(), base);
  if (!eio_text.empty()) std::memcpy(base + header, eio_text.data(), eio_text.size());
  return frame;
}

}  // namespace roomcast::detail
