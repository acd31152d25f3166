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
