// Requests and responses between cluster nodes, as @socket.io/redis-adapter 8.x and
// @socket.io/redis-emitter exchange them on socket.io-request#<nsp># and
// socket.io-response#<nsp>#[<uid>#]. Pure: no I/O.
//
// Node writes them as JSON (and a few as msgpack); a reader tells them apart by the first
// byte ('{' is JSON), as Node does. Both are read through one path: JSON is translated to
// msgpack first. What this node sends is JSON, like Node's own requests and responses.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "roomcast/args.h"

namespace roomcast::detail::adapter {

enum class RequestType : int {
  Sockets = 0,
  AllRooms = 1,
  RemoteJoin = 2,
  RemoteLeave = 3,
  RemoteDisconnect = 4,
  RemoteFetch = 5,
  ServerSideEmit = 6,
  Broadcast = 7,
  BroadcastClientCount = 8,
  BroadcastAck = 9,
};

struct Request {
  int type = -1;
  std::string uid;         // empty when the emitter sent it (it has none)
  std::string request_id;  // empty when the sender expects no response
  bool has_opts = false;   // selection by rooms/except (else by `sid`)
  std::vector<std::string> opts_rooms, opts_except;
  std::vector<std::string> rooms;  // rooms to join/leave; SOCKETS: rooms to list
  std::string sid, room;           // the single-socket forms of join/leave/disconnect
  bool close = false;              // REMOTE_DISCONNECT: close the whole connection
  std::string data_json;           // SERVER_SIDE_EMIT: the data array as JSON text
  std::vector<std::string> data_attachments;
};

// A socket described in a REMOTE_FETCH response (SOCKETS responses give ids only).
struct RemoteSocketInfo {
  std::string id;
  std::vector<std::string> rooms;
  std::string address;
};

struct Response {
  std::string request_id;
  int type = -1;  // only some responses carry it
  bool has_sockets = false;
  std::vector<RemoteSocketInfo> sockets;
  bool has_rooms = false;
  std::vector<std::string> rooms;
  // SERVER_SIDE_EMIT: the answer's value as msgpack, kept undecoded so that the answers of
  // several nodes can be read into one Args with one attachment numbering. Empty when the
  // answer had no value (Node's undefined).
  std::string data_msgpack;
};

// False when the message is neither JSON nor msgpack of an object.
bool decode_request(std::span<const uint8_t> msg, Request& out);
bool decode_response(std::span<const uint8_t> msg, Response& out);

// ---- what this node sends (JSON text) ----
std::string encode_fetch_request(std::string_view uid, std::string_view request_id,
                                 std::span<const std::string> rooms, std::span<const std::string> except);
// REMOTE_JOIN / REMOTE_LEAVE of the selected sockets to / from `targets`.
std::string encode_rooms_request(std::string_view uid, RequestType type, std::span<const std::string> rooms,
                                 std::span<const std::string> except, std::span<const std::string> targets);
std::string encode_disconnect_request(std::string_view uid, std::span<const std::string> rooms,
                                      std::span<const std::string> except, bool close);

// SERVER_SIDE_EMIT {"uid","type":6,"requestId"?,"data":[event,...args]}; no requestId when
// no answer is wanted. JSON like Node's own, or msgpack when an argument carries binary
// (JSON has no form for it). False if an argument's JSON is invalid.
bool encode_server_side_request(std::string& out, std::string_view uid, std::string_view request_id,
                                std::string_view event, std::span<const Arg> args);
// The answer {"type":6,"requestId","data":value}; `value` null means undefined (no "data").
bool encode_server_side_response(std::string& out, std::string_view request_id, const Arg* value);

// One entry of a REMOTE_FETCH response: {"id","handshake":{...},"rooms":[...],"data":{}}.
// `auth_json` is the socket's CONNECT payload (valid JSON, "{}" if none).
void append_fetched_socket(std::string& out, std::string_view id, std::span<const std::string> rooms,
                           std::string_view address, std::string_view url,
                           std::span<const std::pair<std::string_view, std::string_view>> headers,
                           std::string_view auth_json);
// {"requestId":...,"sockets":[<items>]} where `items` is JSON text ("" for none).
std::string encode_sockets_response(std::string_view request_id, std::string_view items);
std::string encode_ids_response(std::string_view request_id, std::span<const std::string> ids);
std::string encode_rooms_response(std::string_view request_id, std::span<const std::string> rooms);
std::string encode_done_response(std::string_view request_id);  // {"requestId":...}

}  // namespace roomcast::detail::adapter
