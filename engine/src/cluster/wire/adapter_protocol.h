// The broadcast messages of @socket.io/redis-adapter 8.x (classic mode) and
// @socket.io/redis-emitter: channel names and the msgpack message [uid, packet, opts].
// Pure: no I/O.
//
//   channel   socket.io#<nsp>#            every socket of the namespace, or several rooms
//             socket.io#<nsp>#<room>#     exactly one room targeted
//   message   [uid, {type: 2, data: [event, ...args], nsp}, {rooms: [...], except: [...], flags: {}}]
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "roomcast/args.h"

namespace roomcast::detail::mp {
class Reader;
}

namespace roomcast::detail::adapter {

inline constexpr std::string_view kDefaultPrefix = "socket.io";

// "socket.io#/chat#": the broadcast channel; subscribers match it with a trailing "*".
std::string broadcast_channel(std::string_view prefix, std::string_view nsp);
// Where a broadcast goes: the room's channel when exactly one room is targeted.
std::string publish_channel(std::string_view prefix, std::string_view nsp, std::span<const std::string> rooms);
std::string request_channel(std::string_view prefix, std::string_view nsp);   // socket.io-request#<nsp>#
std::string response_channel(std::string_view prefix, std::string_view nsp);  // socket.io-response#<nsp>#

// The room a received channel names ("" for the namespace channel), given the namespace's
// broadcast channel. False if `channel` is not under `base` or lacks the closing '#'.
bool room_of_channel(std::string_view base, std::string_view channel, std::string_view& room);

// A broadcast received from another node, ready for the local fan-out: the arguments as one
// JSON array text (binary values as placeholders into `attachments`).
struct RemoteBroadcast {
  std::string uid;
  std::string nsp = "/";  // a packet without nsp means "/"
  std::string event;
  std::string args_json;  // "[arg1,arg2,...]" without the event name
  std::vector<std::string> attachments;
  std::vector<std::string> rooms;
  std::vector<std::string> except;
};

enum class DecodeResult : uint8_t {
  Ok,
  Malformed,   // not msgpack, or not the [uid, packet, opts] shape
  NotAnEvent,  // a well-formed packet this node does not deliver (type other than EVENT,
               // or an event name that is not a string)
};

// The uid (first element) alone, to drop our own messages before decoding the rest.
bool peek_uid(std::span<const uint8_t> msg, std::string& uid);

// Decodes a whole message; map keys may come in any order, unknown keys are skipped.
DecodeResult decode_broadcast(std::span<const uint8_t> msg, RemoteBroadcast& out);

// The packet object alone, {type, data: [event, ...args], nsp} in any key order, as a
// BROADCAST request (broadcast with acks) carries it; fills nsp, event, args_json and
// attachments of `out`.
DecodeResult decode_packet(mp::Reader& r, RemoteBroadcast& out);
// Appends the msgpack packet object {type: 2, data: [event, ...args], nsp}. False if an
// argument holds invalid JSON.
bool encode_packet(std::string& out, std::string_view nsp, std::string_view event, std::span<const Arg> args);

// Appends the message for a broadcast of `event` with `args` to `out`. False if an argument
// holds invalid JSON (RawJson is trusted elsewhere; here it must be translated).
bool encode_broadcast(std::string& out, std::string_view uid, std::string_view nsp, std::string_view event,
                      std::span<const Arg> args, std::span<const std::string> rooms,
                      std::span<const std::string> except);
// Appends the opts object {rooms, except, flags} of a broadcast; flags carry `timeout` when
// given (a BROADCAST request with acks), else they are empty, as Node's adapter writes them.
void encode_opts(std::string& out, std::span<const std::string> rooms, std::span<const std::string> except,
                 std::optional<int64_t> timeout_ms = std::nullopt);

}  // namespace roomcast::detail::adapter
