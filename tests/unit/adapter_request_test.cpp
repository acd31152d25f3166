// Requests and responses between cluster nodes, in the shapes @socket.io/redis-adapter 8.3.0
// and @socket.io/redis-emitter 5.1.0 produce (JSON.stringify output copied from their code
// paths, and a msgpack one for the first-byte switch).
#include <gtest/gtest.h>

#include <string>

#include "cluster/wire/adapter_request.h"
#include "proto/msgpack/msgpack_codec.h"

using namespace roomcast::detail;
using namespace roomcast::detail::adapter;

namespace {
std::span<const uint8_t> bytes(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }
}  // namespace

TEST(AdapterRequest, EmitterSocketsJoinHasNoUid) {
  const std::string m = R"({"type":2,"opts":{"rooms":["r1"],"except":["x"]},"rooms":["r2","r3"]})";
  Request q;
  ASSERT_TRUE(decode_request(bytes(m), q));
  EXPECT_EQ(q.type, int(RequestType::RemoteJoin));
  EXPECT_TRUE(q.uid.empty());
  EXPECT_TRUE(q.has_opts);
  EXPECT_EQ(q.opts_rooms, std::vector<std::string>{"r1"});
  EXPECT_EQ(q.opts_except, std::vector<std::string>{"x"});
  EXPECT_EQ(q.rooms, (std::vector<std::string>{"r2", "r3"}));
}

TEST(AdapterRequest, NodeRequestsInAnyKeyOrder) {
  Request f;
  ASSERT_TRUE(decode_request(
      bytes(R"({"opts":{"except":[],"rooms":["a"]},"type":5,"requestId":"abc123","uid":"Zz9"})"), f));
  EXPECT_EQ(f.type, 5);
  EXPECT_EQ(f.uid, "Zz9");
  EXPECT_EQ(f.request_id, "abc123");
  EXPECT_EQ(f.opts_rooms, std::vector<std::string>{"a"});

  Request d;
  ASSERT_TRUE(decode_request(bytes(R"({"uid":"u","type":4,"opts":{"rooms":[],"except":[]},"close":true})"), d));
  EXPECT_TRUE(d.close);
  EXPECT_TRUE(d.has_opts);

  Request single;  // the per-socket form (remoteJoin(sid, room))
  ASSERT_TRUE(decode_request(bytes(R"({"uid":"u","requestId":"q","type":2,"sid":"AAAAAAAAAAAAAAAAAAAA","room":"r"})"), single));
  EXPECT_FALSE(single.has_opts);
  EXPECT_EQ(single.sid, "AAAAAAAAAAAAAAAAAAAA");
  EXPECT_EQ(single.room, "r");

  Request emit;
  ASSERT_TRUE(decode_request(bytes(R"({"uid":"emitter","type":6,"data":["ping",1,{"a":"\u00e9"}]})"), emit));
  EXPECT_EQ(emit.data_json, "[\"ping\",1,{\"a\":\"\xc3\xa9\"}]");
}

TEST(AdapterRequest, MsgpackByFirstByte) {
  std::string m;
  ASSERT_TRUE(mp::json_to_msgpack(R"({"uid":"u","requestId":"r","type":1})", m));
  Request q;
  ASSERT_TRUE(decode_request(bytes(m), q));
  EXPECT_EQ(q.type, 1);
  EXPECT_EQ(q.request_id, "r");
  Request bad;
  EXPECT_FALSE(decode_request(bytes("{\"type\":"), bad));
  EXPECT_FALSE(decode_request(bytes("\x93\x01\x02\x03"), bad));  // not an object
}

TEST(AdapterRequest, ResponsesOfFetchAndSockets) {
  Response f;
  ASSERT_TRUE(decode_response(bytes(R"({"requestId":"q","sockets":[{"id":"S1","handshake":{"headers":{"a":"b"},"address":"::1","auth":{}},"rooms":["S1","r"],"data":{}}]})"), f));
  EXPECT_EQ(f.request_id, "q");
  ASSERT_EQ(f.sockets.size(), 1u);
  EXPECT_EQ(f.sockets[0].id, "S1");
  EXPECT_EQ(f.sockets[0].address, "::1");
  EXPECT_EQ(f.sockets[0].rooms, (std::vector<std::string>{"S1", "r"}));
  Response ids;
  ASSERT_TRUE(decode_response(bytes(R"({"requestId":"q2","sockets":["A","B"]})"), ids));
  ASSERT_EQ(ids.sockets.size(), 2u);
  EXPECT_EQ(ids.sockets[1].id, "B");
  Response rooms;
  ASSERT_TRUE(decode_response(bytes(R"({"requestId":"q3","rooms":["x","y"]})"), rooms));
  EXPECT_TRUE(rooms.has_rooms);
  EXPECT_EQ(rooms.rooms.size(), 2u);
}

TEST(AdapterRequest, WhatWeSendReadsBack) {
  std::vector<std::string> rooms{"a\"b"}, except{"e"}, targets{"t"};
  Request q;
  ASSERT_TRUE(decode_request(bytes(encode_rooms_request("me", RequestType::RemoteLeave, rooms, except, targets)), q));
  EXPECT_EQ(q.type, 3);
  EXPECT_EQ(q.uid, "me");
  EXPECT_EQ(q.opts_rooms, rooms);
  EXPECT_EQ(q.rooms, targets);
  EXPECT_EQ(encode_fetch_request("me", "id1", rooms, {}),
            R"({"uid":"me","type":5,"requestId":"id1","opts":{"rooms":["a\"b"],"except":[]}})");
  EXPECT_EQ(encode_disconnect_request("me", {}, {}, true),
            R"({"uid":"me","type":4,"opts":{"rooms":[],"except":[]},"close":true})");

  std::string items;
  std::vector<std::pair<std::string_view, std::string_view>> headers{{"Host", "h"}};
  FetchedSocket f;
  f.id = "S1";
  f.rooms = rooms;
  f.address = "127.0.0.1";
  f.url = "/socket.io/";
  f.headers = headers;
  f.auth_json = R"({"token":1})";
  append_fetched_socket(items, f);
  Response r;
  ASSERT_TRUE(decode_response(bytes(encode_sockets_response("q", items)), r));
  ASSERT_EQ(r.sockets.size(), 1u);
  EXPECT_EQ(r.sockets[0].id, "S1");
  EXPECT_EQ(r.sockets[0].address, "127.0.0.1");
  EXPECT_NE(items.find(R"("headers":{"host":"h"})"), std::string::npos);
  EXPECT_EQ(encode_rooms_response("q", targets), R"({"requestId":"q","rooms":["t"]})");
  EXPECT_EQ(encode_done_response("q"), R"({"requestId":"q"})");
}

// ---- serverSideEmit ----

namespace {
std::string json_of(const std::string& msgpack, std::vector<std::string>& attachments) {
  std::string json;
  mp::Reader r(msgpack);
  EXPECT_TRUE(roomcast::detail::mp::to_json(r, json, attachments));
  return json;
}
}  // namespace

TEST(AdapterRequest, NodeServerSideEmitWithAck) {
  // JSON.stringify({uid, requestId, type: 6, data: packet}) in serverSideEmitWithAck.
  const std::string m = R"({"uid":"a1B2c3","requestId":"Xy9z0Q","type":6,"data":["ping",1,{"a":[true,null]}]})";
  Request q;
  ASSERT_TRUE(decode_request(bytes(m), q));
  EXPECT_EQ(q.type, int(RequestType::ServerSideEmit));
  EXPECT_EQ(q.uid, "a1B2c3");
  EXPECT_EQ(q.request_id, "Xy9z0Q");
  EXPECT_EQ(q.data_json, R"(["ping",1,{"a":[true,null]}])");
}

TEST(AdapterRequest, ServerSideRequestRoundTripsAsJson) {
  const roomcast::Arg args[] = {roomcast::Arg(1), roomcast::Arg("t\"x"), roomcast::Arg(roomcast::RawJson{R"({"k":[1.5]})"})};
  std::string out;
  ASSERT_TRUE(encode_server_side_request(out, "me", "me-7", "ping", args));
  EXPECT_EQ(out, R"({"uid":"me","type":6,"requestId":"me-7","data":["ping",1,"t\"x",{"k":[1.5]}]})");
  Request q;
  ASSERT_TRUE(decode_request(bytes(out), q));
  EXPECT_EQ(q.type, 6);
  EXPECT_EQ(q.uid, "me");
  EXPECT_EQ(q.request_id, "me-7");
  EXPECT_EQ(q.data_json, R"(["ping",1,"t\"x",{"k":[1.5]}])");

  std::string plain;  // no ack wanted: no requestId at all (Node tests `requestId !== undefined`)
  ASSERT_TRUE(encode_server_side_request(plain, "me", "", "ping", {}));
  EXPECT_EQ(plain, R"({"uid":"me","type":6,"data":["ping"]})");
}

TEST(AdapterRequest, ServerSideRequestWithBinaryIsMsgpack) {
  const uint8_t raw[] = {0, 1, 255};
  const roomcast::Arg args[] = {roomcast::Arg(roomcast::Binary{raw}), roomcast::Arg(true)};
  std::string out;
  ASSERT_TRUE(encode_server_side_request(out, "me", "", "blob", args));
  ASSERT_FALSE(out.empty());
  EXPECT_NE(out.front(), '{');
  Request q;
  ASSERT_TRUE(decode_request(bytes(out), q));
  EXPECT_EQ(q.type, 6);
  EXPECT_TRUE(q.request_id.empty());
  EXPECT_EQ(q.data_json, R"(["blob",{"_placeholder":true,"num":0},true])");
  ASSERT_EQ(q.data_attachments.size(), 1u);
  EXPECT_EQ(q.data_attachments[0], std::string("\0\1\xff", 3));
}

TEST(AdapterRequest, MsgpackServerSideRequestInAnyKeyOrder) {
  std::string m;
  roomcast::detail::mp::put_map(m, 4);
  roomcast::detail::mp::put_str(m, "data");
  roomcast::detail::mp::put_array(m, 2);
  roomcast::detail::mp::put_str(m, "ping");
  roomcast::detail::mp::put_double(m, 2.5);
  roomcast::detail::mp::put_str(m, "type");
  roomcast::detail::mp::put_int(m, 6);
  roomcast::detail::mp::put_str(m, "requestId");
  roomcast::detail::mp::put_str(m, "r");
  roomcast::detail::mp::put_str(m, "uid");
  roomcast::detail::mp::put_str(m, "n");
  Request q;
  ASSERT_TRUE(decode_request(bytes(m), q));
  EXPECT_EQ(q.type, 6);
  EXPECT_EQ(q.uid, "n");
  EXPECT_EQ(q.request_id, "r");
  EXPECT_EQ(q.data_json, R"(["ping",2.5])");
}

TEST(AdapterRequest, InvalidJsonArgumentIsRefused) {
  const roomcast::Arg args[] = {roomcast::Arg(roomcast::RawJson{"{nope"})};
  std::string out;
  EXPECT_FALSE(encode_server_side_request(out, "me", "", "ping", args));
  std::string resp;
  EXPECT_FALSE(encode_server_side_response(resp, "id", &args[0]));
}

TEST(AdapterRequest, ServerSideResponses) {
  // Node's answer: JSON.stringify({type: 6, requestId, data: arg}).
  Response n;
  ASSERT_TRUE(decode_response(bytes(R"({"type":6,"requestId":"q1","data":{"x":[1,"y"]}})"), n));
  EXPECT_EQ(n.type, 6);
  EXPECT_EQ(n.request_id, "q1");
  std::vector<std::string> att;
  EXPECT_EQ(json_of(n.data_msgpack, att), R"({"x":[1,"y"]})");

  Response undef;  // ack() with no value: JSON.stringify drops the key
  ASSERT_TRUE(decode_response(bytes(R"({"type":6,"requestId":"q2"})"), undef));
  EXPECT_TRUE(undef.data_msgpack.empty());

  const roomcast::Arg pong("pong");
  std::string out;
  ASSERT_TRUE(encode_server_side_response(out, "q3", &pong));
  EXPECT_EQ(out, R"({"type":6,"requestId":"q3","data":"pong"})");
  Response ours;
  ASSERT_TRUE(decode_response(bytes(out), ours));
  EXPECT_EQ(ours.request_id, "q3");
  EXPECT_EQ(json_of(ours.data_msgpack, att), R"("pong")");

  std::string none;
  ASSERT_TRUE(encode_server_side_response(none, "q4", nullptr));
  EXPECT_EQ(none, R"({"type":6,"requestId":"q4"})");

  const uint8_t raw[] = {7, 8};
  const roomcast::Arg bin(roomcast::Binary{raw});
  std::string b;
  ASSERT_TRUE(encode_server_side_response(b, "q5", &bin));
  EXPECT_NE(b.front(), '{');
  Response rb;
  ASSERT_TRUE(decode_response(bytes(b), rb));
  EXPECT_EQ(rb.request_id, "q5");
  std::vector<std::string> batt;
  EXPECT_EQ(json_of(rb.data_msgpack, batt), R"({"_placeholder":true,"num":0})");
  ASSERT_EQ(batt.size(), 1u);
  EXPECT_EQ(batt[0], std::string("\7\10", 2));
}

// ---- broadcast with acknowledgements (types 7, 8, 9) ----

namespace {
// notepack.encode({uid, requestId, type: 7, packet, opts}) as broadcastWithAck builds it,
// with `packet` = {type: 2, data: ["hello", 1, <Buffer 00 ff>], nsp: "/"}.
std::string node_broadcast_request(bool with_timeout) {
  std::string m;
  mp::put_map(m, 5);
  mp::put_str(m, "uid");
  mp::put_str(m, "aB3dE6");
  mp::put_str(m, "requestId");
  mp::put_str(m, "Qw12er");
  mp::put_str(m, "type");
  mp::put_int(m, 7);
  mp::put_str(m, "packet");
  mp::put_map(m, 3);
  mp::put_str(m, "type");
  mp::put_int(m, 2);
  mp::put_str(m, "data");
  mp::put_array(m, 3);
  mp::put_str(m, "hello");
  mp::put_int(m, 1);
  mp::put_bin(m, std::string("\x00\xff", 2));
  mp::put_str(m, "nsp");
  mp::put_str(m, "/");
  mp::put_str(m, "opts");
  mp::put_map(m, 3);
  mp::put_str(m, "rooms");
  mp::put_array(m, 1);
  mp::put_str(m, "r1");
  mp::put_str(m, "except");
  mp::put_array(m, 0);
  mp::put_str(m, "flags");
  mp::put_map(m, with_timeout ? 1 : 0);
  if (with_timeout) {
    mp::put_str(m, "timeout");
    mp::put_int(m, 1500);
  }
  return m;
}
}  // namespace

TEST(AdapterRequest, NodeBroadcastWithAckRequest) {
  Request q;
  ASSERT_TRUE(decode_request(bytes(node_broadcast_request(true)), q));
  EXPECT_EQ(q.type, int(RequestType::Broadcast));
  EXPECT_EQ(q.uid, "aB3dE6");
  EXPECT_EQ(q.request_id, "Qw12er");
  ASSERT_EQ(q.packet_result, DecodeResult::Ok);
  EXPECT_EQ(q.packet.nsp, "/");
  EXPECT_EQ(q.packet.event, "hello");
  EXPECT_EQ(q.packet.args_json, R"([1,{"_placeholder":true,"num":0}])");
  ASSERT_EQ(q.packet.attachments.size(), 1u);
  EXPECT_EQ(q.packet.attachments[0], std::string("\x00\xff", 2));
  EXPECT_TRUE(q.has_opts);
  EXPECT_EQ(q.opts_rooms, std::vector<std::string>{"r1"});
  EXPECT_EQ(q.timeout_ms, 1500);

  Request no_timeout;
  ASSERT_TRUE(decode_request(bytes(node_broadcast_request(false)), no_timeout));
  EXPECT_EQ(no_timeout.timeout_ms, -1);
}

TEST(AdapterRequest, BroadcastRequestWithoutPacketObjectIsMalformed) {
  Request q;
  EXPECT_FALSE(decode_request(bytes(R"({"uid":"u","requestId":"r","type":7,"packet":[1,2]})"), q));
  Request absent;  // other request types carry no packet at all
  ASSERT_TRUE(decode_request(bytes(R"({"uid":"u","requestId":"r","type":7})"), absent));
  EXPECT_EQ(absent.packet_result, DecodeResult::Malformed);
}

TEST(AdapterRequest, OurBroadcastWithAckRequestReadsBack) {
  std::vector<std::string> rooms{"a", "b"}, except{"x"};
  const uint8_t bin[] = {1, 2, 3};
  roomcast::Arg args[] = {roomcast::Arg("s"), roomcast::Arg(roomcast::RawJson{R"({"k":[1,2.5]})"}),
                          roomcast::Arg(roomcast::Binary{std::span<const uint8_t>(bin)})};
  std::string m;
  ASSERT_TRUE(encode_broadcast_ack_request(m, "me", "me~1", "/chat", "ev", args, rooms, except, 2500));
  ASSERT_FALSE(m.empty());
  EXPECT_NE(m[0], '{');  // msgpack, as Node's parser.encode
  Request q;
  ASSERT_TRUE(decode_request(bytes(m), q));
  EXPECT_EQ(q.type, 7);
  EXPECT_EQ(q.uid, "me");
  EXPECT_EQ(q.request_id, "me~1");
  ASSERT_EQ(q.packet_result, DecodeResult::Ok);
  EXPECT_EQ(q.packet.nsp, "/chat");
  EXPECT_EQ(q.packet.event, "ev");
  EXPECT_EQ(q.packet.args_json, R"(["s",{"k":[1,2.5]},{"_placeholder":true,"num":0}])");
  EXPECT_EQ(q.opts_rooms, rooms);
  EXPECT_EQ(q.opts_except, except);
  EXPECT_EQ(q.timeout_ms, 2500);

  std::string bad;
  roomcast::Arg invalid[] = {roomcast::Arg(roomcast::RawJson{"{nope"})};
  EXPECT_FALSE(encode_broadcast_ack_request(bad, "me", "me~2", "/", "ev", invalid, {}, {}, 1000));
  EXPECT_TRUE(bad.empty());
}

TEST(AdapterRequest, BroadcastAckResponses) {
  // JSON.stringify({type: 8, requestId, clientCount}) from Node's publishResponse.
  Response c;
  ASSERT_TRUE(decode_response(bytes(R"({"type":8,"requestId":"Qw12er","clientCount":3})"), c));
  EXPECT_EQ(c.type, 8);
  EXPECT_EQ(c.request_id, "Qw12er");
  EXPECT_EQ(c.client_count, 3);
  EXPECT_EQ(encode_client_count_response("Qw12er", 0), R"({"type":8,"requestId":"Qw12er","clientCount":0})");

  // parser.encode({type: 9, requestId, packet: arg}) in any key order.
  std::string m;
  mp::put_map(m, 3);
  mp::put_str(m, "packet");
  mp::put_map(m, 1);
  mp::put_str(m, "ok");
  mp::put_bool(m, true);
  mp::put_str(m, "requestId");
  mp::put_str(m, "Qw12er");
  mp::put_str(m, "type");
  mp::put_int(m, 9);
  Response a;
  ASSERT_TRUE(decode_response(bytes(m), a));
  EXPECT_EQ(a.type, 9);
  EXPECT_EQ(a.request_id, "Qw12er");
  std::vector<std::string> att;
  EXPECT_EQ(json_of(a.packet_msgpack, att), R"({"ok":true})");

  // Ours: with a value (binary included), and without (undefined: no "packet" key).
  const uint8_t bin[] = {9, 8};
  roomcast::Arg v(roomcast::Binary{std::span<const uint8_t>(bin)});
  std::string ours;
  ASSERT_TRUE(encode_broadcast_ack_response(ours, "id7", &v));
  Response o;
  ASSERT_TRUE(decode_response(bytes(ours), o));
  EXPECT_EQ(o.type, 9);
  EXPECT_EQ(o.request_id, "id7");
  att.clear();
  EXPECT_EQ(json_of(o.packet_msgpack, att), R"({"_placeholder":true,"num":0})");
  ASSERT_EQ(att.size(), 1u);
  EXPECT_EQ(att[0], std::string("\x09\x08", 2));
  std::string none;
  ASSERT_TRUE(encode_broadcast_ack_response(none, "id8", nullptr));
  Response n;
  ASSERT_TRUE(decode_response(bytes(none), n));
  EXPECT_EQ(n.type, 9);
  EXPECT_TRUE(n.packet_msgpack.empty());
}

TEST(AdapterRequest, FetchedSocketHasNodesHandshakeFields) {
  std::vector<std::string> rooms{"S1", "r"};
  std::vector<std::pair<std::string_view, std::string_view>> headers{{"Host", "h"}, {"Origin", "http://o"}};
  FetchedSocket f;
  f.id = "S1";
  f.rooms = rooms;
  f.address = "::1";
  f.url = "/socket.io/?EIO=4&transport=websocket&t=1&t=2&name=a%20b";
  f.query = "EIO=4&transport=websocket&t=1&t=2&name=a%20b";
  f.headers = headers;
  f.issued_ms = 1764128400123;
  std::string items;
  append_fetched_socket(items, f);
  EXPECT_EQ(items,
            R"({"id":"S1","handshake":{"headers":{"host":"h","origin":"http://o"},)"
            R"x("time":"Wed Nov 26 2025 03:40:00 GMT+0000 (Coordinated Universal Time)","address":"::1",)x"
            R"("xdomain":true,"secure":false,"issued":1764128400123,)"
            R"("url":"/socket.io/?EIO=4&transport=websocket&t=1&t=2&name=a%20b",)"
            R"("query":{"EIO":"4","transport":"websocket","t":["1","2"],"name":"a b"},"auth":{}},)"
            R"("rooms":["S1","r"],"data":{}})");
  Response r;
  ASSERT_TRUE(decode_response(bytes(encode_sockets_response("q", items)), r));
  ASSERT_EQ(r.sockets.size(), 1u);
  EXPECT_EQ(r.sockets[0].address, "::1");
  EXPECT_EQ(r.sockets[0].rooms, rooms);
}

TEST(AdapterRequest, JsDateString) {
  EXPECT_EQ(js_date_string(0), "Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)");
  EXPECT_EQ(js_date_string(951782400000), "Tue Feb 29 2000 00:00:00 GMT+0000 (Coordinated Universal Time)");
  EXPECT_EQ(js_date_string(-1), "Wed Dec 31 1969 23:59:59 GMT+0000 (Coordinated Universal Time)");
}
