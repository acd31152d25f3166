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

#include "cluster/wire/adapter_protocol.h"
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
  // BROADCAST (with acks): the packet, and the sender's timeout from opts.flags (-1: none).
  DecodeResult packet_result = DecodeResult::Malformed;  // Malformed also when absent
  RemoteBroadcast packet;
  int64_t timeout_ms = -1;
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
  // BROADCAST_CLIENT_COUNT: how many clients the node reached (-1: absent).
  int64_t client_count = -1;
  // BROADCAST_ACK: one client's answer (its first ack argument) as msgpack; empty when the
  // client answered nothing (undefined, which Node's encoder leaves out).
  std::string packet_msgpack;
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

// BROADCAST {"uid","requestId","type":7,"packet":{...},"opts":{"rooms","except","flags":{"timeout"}}},
// msgpack as Node's adapter sends it. False if an argument's JSON is invalid.
bool encode_broadcast_ack_request(std::string& out, std::string_view uid, std::string_view request_id,
                                  std::string_view nsp, std::string_view event, std::span<const Arg> args,
                                  std::span<const std::string> rooms, std::span<const std::string> except,
                                  int64_t timeout_ms);
// {"type":8,"requestId","clientCount"}: how many local clients the broadcast reached.
std::string encode_client_count_response(std::string_view request_id, uint64_t count);
// {"type":9,"requestId","packet":value} in msgpack, as Node's adapter; `value` null: no
// "packet" (the client answered nothing). False if the value's JSON is invalid.
bool encode_broadcast_ack_response(std::string& out, std::string_view request_id, const Arg* value);

// One socket as a REMOTE_FETCH response describes it: socket.io's socket.handshake, which
// the asking Node node hands out as RemoteSocket.handshake.
struct FetchedSocket {
  std::string_view id;
  std::span<const std::string> rooms;
  std::string_view address;
  std::string_view url;    // request target
  std::string_view query;  // its query string, raw
  std::span<const std::pair<std::string_view, std::string_view>> headers;
  std::string_view auth_json;  // the CONNECT payload (valid JSON, "" for {})
  int64_t issued_ms = 0;       // when the connection was accepted, ms since the epoch
};
// Appends {"id","handshake":{headers,time,address,xdomain,secure,issued,url,query,auth},
// "rooms":[...],"data":{}} with header names in lower case and the query parsed to an
// object (a repeated key gives an array), as Node builds them.
void append_fetched_socket(std::string& out, const FetchedSocket& s);
// Date.prototype.toString() of `ms` since the epoch, in UTC:
// "Thu Nov 26 2026 03:40:00 GMT+0000 (Coordinated Universal Time)".
std::string js_date_string(int64_t ms);
// {"requestId":...,"sockets":[<items>]} where `items` is JSON text ("" for none).
std::string encode_sockets_response(std::string_view request_id, std::string_view items);
std::string encode_ids_response(std::string_view request_id, std::span<const std::string> ids);
std::string encode_rooms_response(std::string_view request_id, std::span<const std::string> rooms);
std::string encode_done_response(std::string_view request_id);  // {"requestId":...}

}  // namespace roomcast::detail::adapter
