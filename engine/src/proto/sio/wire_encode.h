// Encode-once: a Socket.IO packet as the complete WebSocket wire bytes, in one buffer.
// Pure: no I/O.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "roomcast/args.h"
#include "util/shared_frame.h"

namespace roomcast::detail {

// EVENT (or BINARY_EVENT when any argument carries binary): a text frame holding
// `4` + `[5<n>-|2][/nsp,][ackid]["event",args...]`, followed by one binary frame per
// attachment (raw bytes, no type byte). Binary args become {"_placeholder":true,"num":k}
// with k in order of appearance; forwarded args have their placeholders renumbered and
// their attachments carried along (a forwarded placeholder whose attachment is missing is
// written as null). RawJson is copied verbatim: it must be valid JSON without placeholders;
// an empty one is written as null. Strings are escaped like JSON.stringify; invalid UTF-8
// in them becomes U+FFFD.
SharedFrame* encode_event(std::string_view nsp, std::string_view event, std::span<const Arg> args,
                          std::optional<uint64_t> ack_id = std::nullopt, uint32_t initial_refs = 1);

// ACK (or BINARY_ACK): `4` + `[6<n>-|3][/nsp,]<ackid>[args...]` plus attachment frames.
SharedFrame* encode_ack(std::string_view nsp, uint64_t ack_id, std::span<const Arg> args,
                        uint32_t initial_refs = 1);

// A single text frame carrying `eio_text` (an Engine.IO packet such as "2" or "40{...}").
SharedFrame* encode_text(std::string_view eio_text, uint32_t initial_refs = 1);

}  // namespace roomcast::detail
