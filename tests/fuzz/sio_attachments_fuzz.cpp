// Fuzzes the reassembly of Socket.IO packets and their binary attachments with random
// sequences of text and binary messages, against a naive model of the sequencing rules
// (decoding itself is sio_packet_fuzz's business; here both sides use the same decoder).
//
// Input: byte 0 = max_attachments (mod 16); then messages, each a header byte (bit 0: binary),
// a length byte, and that many bytes (cut short at the end of the input).
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/sio/sio_attachments.h"

using namespace roomcast::sio;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// Everything in plain sight: what is due, what arrived.
struct Model {
  bool due = false;
  AssembledPacket partial{};

  AssemblyStep text(std::string_view t, uint32_t max, AssembledPacket& out) {
    if (due) {
      due = false;
      return {AssemblyStatus::Error, AssemblyError::MissingAttachments};
    }
    Packet p;
    DecodeError e = decode(t, p, max);
    if (e != DecodeError::None) return {AssemblyStatus::Error, AssemblyError::Decode, e};
    AssembledPacket a{uint8_t(p.type), std::string(p.nsp), p.ack_id, std::string(p.data), p.attachments, {}};
    if (p.attachments == 0) {
      out = a;
      return {AssemblyStatus::Complete};
    }
    partial = a;
    due = true;
    return {AssemblyStatus::NeedMore};
  }

  AssemblyStep binary(std::string_view b, AssembledPacket& out) {
    if (!due) return {AssemblyStatus::Error, AssemblyError::UnexpectedBinary};
    partial.attachments.push_back(std::string(b));
    if (partial.attachments.size() != partial.expected) return {AssemblyStatus::NeedMore};
    due = false;
    out = partial;
    return {AssemblyStatus::Complete};
  }
};

bool same(const AssembledPacket& a, const AssembledPacket& b) {
  return a.type == b.type && a.nsp == b.nsp && a.ack_id == b.ack_id && a.data == b.data &&
         a.expected == b.expected && a.attachments == b.attachments;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint32_t max = data[0] % 16;
  size_t i = 1;
  std::unique_ptr<AssembledPacket> pending;
  Model model;
  while (i + 2 <= size) {
    const bool binary = data[i] & 1;
    size_t len = data[i + 1];
    i += 2;
    if (len > size - i) len = size - i;
    std::string_view msg(reinterpret_cast<const char*>(data + i), len);
    i += len;

    AssembledPacket got{}, want{};
    AssemblyStep g = binary ? assemble_binary(pending, {data + i - len, len}, got)
                            : assemble_text(pending, msg, max, got);
    AssemblyStep w = binary ? model.binary(msg, want) : model.text(msg, max, want);
    check(g.status == w.status && g.error == w.error && g.decode == w.decode);
    check(bool(pending) == model.due);
    if (pending) check(pending->attachments.size() < pending->expected && pending->expected <= max);
    if (g.status == AssemblyStatus::Complete) {
      check(same(got, want));
      check(got.attachments.size() == got.expected);
    }
    if (g.status == AssemblyStatus::Error) check(g.error != AssemblyError::None);
  }
  return 0;
}
