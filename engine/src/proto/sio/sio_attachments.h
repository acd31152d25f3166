// Reassembly of a Socket.IO packet and its binary attachments from the messages of one
// connection. Pure: the caller keeps the state (null while nothing is due, so an idle
// connection pays one pointer) and feeds it each text packet and binary message in order.
//
// Rules, as socket.io-parser: a BINARY_EVENT/BINARY_ACK announcing N attachments is complete
// after the next N binary messages; a text packet while attachments are due, or a binary
// message nobody announced, is an error. After an error nothing is due any more.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proto/sio/sio_packet.h"

namespace roomcast::sio {

// A decoded packet with its attachments (owning: it outlives the messages it came from).
struct AssembledPacket {
  uint8_t type;  // sio::Type
  std::string nsp;
  std::optional<uint64_t> ack_id;
  std::string data;  // the packet's JSON text
  uint32_t expected;  // attachments announced
  std::vector<std::string> attachments;
};

enum class AssemblyStatus : uint8_t { NeedMore, Complete, Error };

enum class AssemblyError : uint8_t {
  None,
  Decode,              // the text packet does not decode (see `decode`)
  UnexpectedBinary,    // a binary message while no attachment is due
  MissingAttachments,  // a text packet while attachments are still due
};

struct AssemblyStep {
  AssemblyStatus status = AssemblyStatus::NeedMore;
  AssemblyError error = AssemblyError::None;
  DecodeError decode = DecodeError::None;  // set when error == Decode
};

// One text Socket.IO packet (the Engine.IO message payload). Complete: `out` holds it (no
// attachments). NeedMore: it announced attachments and now waits in `pending`.
AssemblyStep assemble_text(std::unique_ptr<AssembledPacket>& pending, std::string_view text,
                           uint32_t max_attachments, AssembledPacket& out);

// One binary message. Complete: `out` holds the packet it finished, `pending` is empty.
AssemblyStep assemble_binary(std::unique_ptr<AssembledPacket>& pending, std::span<const uint8_t> bytes,
                             AssembledPacket& out);

}  // namespace roomcast::sio
