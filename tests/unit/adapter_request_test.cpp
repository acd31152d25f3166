// Requests and responses between cluster nodes, in the shapes @socket.io/redis-adapter 8.3.0
// and @socket.io/redis-emitter 5.1.0 produce (JSON.stringify output copied from their code
// paths, and a msgpack one for the first-byte switch).
#include <gtest/gtest.h>

#include <string>

#include "adapter_request.h"
#include "msgpack_codec.h"

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
  append_fetched_socket(items, "S1", rooms, "127.0.0.1", "/socket.io/", headers, R"({"token":1})");
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
