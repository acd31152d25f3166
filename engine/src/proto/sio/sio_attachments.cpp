#include "proto/sio/sio_attachments.h"

#include <utility>

namespace roomcast::sio {

namespace {

AssemblyStep fail(std::unique_ptr<AssembledPacket>& pending, AssemblyError why,
                  DecodeError decode = DecodeError::None) {
  pending.reset();
  return {AssemblyStatus::Error, why, decode};
}

}  // namespace

AssemblyStep assemble_text(std::unique_ptr<AssembledPacket>& pending, std::string_view text,
                           uint32_t max_attachments, AssembledPacket& out) {
  if (pending) return fail(pending, AssemblyError::MissingAttachments);
  Packet p;
  if (DecodeError err = decode(text, p, max_attachments); err != DecodeError::None)
    return fail(pending, AssemblyError::Decode, err);
  AssembledPacket a{uint8_t(p.type), std::string(p.nsp), p.ack_id, std::string(p.data), p.attachments, {}};
  if (p.attachments > 0) {  // only a packet that must wait goes to the heap
    pending = std::make_unique<AssembledPacket>(std::move(a));
    return {AssemblyStatus::NeedMore};
  }
  out = std::move(a);
  return {AssemblyStatus::Complete};
}

AssemblyStep assemble_binary(std::unique_ptr<AssembledPacket>& pending, std::span<const uint8_t> bytes,
                             AssembledPacket& out) {
  if (!pending) return fail(pending, AssemblyError::UnexpectedBinary);
  pending->attachments.emplace_back(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (pending->attachments.size() < pending->expected) return {AssemblyStatus::NeedMore};
  out = std::move(*pending);
  pending.reset();
  return {AssemblyStatus::Complete};
}

}  // namespace roomcast::sio
