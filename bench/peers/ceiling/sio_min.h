// Just enough Engine.IO/Socket.IO to serve the demo contract's load path:
// namespace CONNECT, `join(room, ack)`, `publish(room, ...args)`,
// `broadcast(...args)`. Everything else a client may send is ignored, so the
// baseline measures moving bytes, not protocol generality. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ceiling {

enum class CmdKind { Ignore, Bad, Connect, Join, Publish, Broadcast };

struct Command {
  CmdKind kind = CmdKind::Ignore;
  std::string_view nsp = "/";  // as on the wire; "/" when omitted
  std::string_view ack_id;     // digits, empty when no ack was asked for
  std::string_view room;       // JSON string contents, escapes left as sent
  std::string_view args;       // raw JSON of the forwarded arguments, no brackets; may be empty
};

// `msg` is one Engine.IO text packet as carried by a WebSocket frame.
Command parse_command(std::string_view msg);

// Engine.IO open packet for a WebSocket-only session.
std::string open_packet(std::string_view sid, uint32_t ping_interval_ms, uint32_t ping_timeout_ms, uint32_t max_payload);

// `40[<nsp>,]{"sid":"<sid>"}`
std::string connect_reply(std::string_view nsp, std::string_view sid);

// `43[<nsp>,]<ack_id>["ok"]`
std::string join_ack(std::string_view nsp, std::string_view ack_id);

// `42[<nsp>,]["message"[,<args>]]`
std::string message_packet(std::string_view nsp, std::string_view args);

// A 20-character id, as the reference mints (cluster adapters rely on the length).
std::string make_sid(uint64_t n);

}  // namespace ceiling
