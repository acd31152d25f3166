// Cross-shard fan-out: members spread over two shards receive every broadcast exactly once
// and in order per publisher, whether the emit comes from a handler on either shard or
// from a thread outside the server. Runs under ThreadSanitizer in CI.
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "engine_test_support.h"
#include "roomcast/server.h"
#include "ws_test_client.h"

using roomcast::testing::WsTestClient;
using roomcast::testing::on_join;
using roomcast::testing::quiet_config;

namespace {

roomcast::Config test_config(unsigned shards) {
  roomcast::Config cfg = quiet_config(shards);
  return cfg;
}

void install(roomcast::Server& server) {
  auto& nsp = server.of("/");
  on_join(nsp);
  nsp.on("pub", [](roomcast::Socket& s, const roomcast::Args& a, roomcast::Ack) {
    s.nsp().to(*a.str(0)).emit_args("m", a.forward(1));
  });
}

// Connects, joins namespace "/" and room `room`; returns false on any protocol surprise.
bool connect_and_join(WsTestClient& c, uint16_t port, const std::string& room) {
  if (!c.connect(port)) return false;
  c.send_text("40");
  auto ok = c.read_text();
  if (!ok || ok->rfind("40{\"sid\":", 0) != 0) return false;
  c.send_text("421[\"join\",\"" + room + "\"]");
  auto ack = c.read_text();
  return ack && *ack == "431[\"ok\"]";
}

}  // namespace

TEST(EngineFanout, CrossShardExactlyOnceInOrderPerPublisher) {
  roomcast::Server server(test_config(2));
  install(server);
  server.start();
  const uint16_t port = server.port();

  constexpr int kMembers = 16, kPerPublisher = 150;
  std::vector<std::unique_ptr<WsTestClient>> members;
  for (int i = 0; i < kMembers; ++i) {
    members.push_back(std::make_unique<WsTestClient>());
    ASSERT_TRUE(connect_and_join(*members.back(), port, "r")) << "member " << i;
  }
  WsTestClient outsider;
  ASSERT_TRUE(connect_and_join(outsider, port, "other"));

  // The members really are spread over both shards.
  std::promise<std::vector<roomcast::SocketInfo>> fetched;
  server.of("/").in("r").fetch_sockets([&](std::vector<roomcast::SocketInfo> v) { fetched.set_value(std::move(v)); });
  auto infos = fetched.get_future().get();
  ASSERT_EQ(infos.size(), size_t(kMembers));
  std::set<unsigned> shards;
  for (auto& i : infos) shards.insert(i.shard);
  EXPECT_EQ(shards.size(), 2u) << "all members landed on one shard (SO_REUSEPORT spread)";

  // Two publishers on whatever shards they landed on, plus the test thread itself.
  WsTestClient& p1 = *members[0];
  WsTestClient& p2 = *members[1];
  std::thread outside([&] {
    for (int i = 0; i < kPerPublisher; ++i) server.of("/").to("r").emit("m", "ext", i);
  });
  for (int i = 0; i < kPerPublisher; ++i) {
    p1.send_text("42[\"pub\",\"r\",\"p1\"," + std::to_string(i) + "]");
    p2.send_text("42[\"pub\",\"r\",\"p2\"," + std::to_string(i) + "]");
  }
  outside.join();

  for (int m = 0; m < kMembers; ++m) {
    std::map<std::string, int> next;
    for (int got = 0; got < 3 * kPerPublisher; ++got) {
      auto t = members[m]->read_text(5000);
      ASSERT_TRUE(t) << "member " << m << " stopped after " << got << " messages";
      // 42["m","p1",17]
      ASSERT_EQ(t->rfind("42[\"m\",\"", 0), 0u) << *t;
      size_t q = t->find('"', 8);
      std::string pub = t->substr(8, q - 8);
      int seq = std::stoi(t->substr(q + 2));
      EXPECT_EQ(seq, next[pub]) << "member " << m << " publisher " << pub;
      next[pub] = seq + 1;
    }
    EXPECT_EQ(next["p1"], kPerPublisher);
    EXPECT_EQ(next["p2"], kPerPublisher);
    EXPECT_EQ(next["ext"], kPerPublisher);
    auto extra = members[m]->read_text(100);
    EXPECT_FALSE(extra) << "duplicate or stray message: " << *extra;
  }
  // Not a member of "r": nothing arrives.
  EXPECT_FALSE(outsider.read_text(200));

  auto st = server.stats();
  EXPECT_EQ(st.sockets, uint64_t(kMembers + 1));
  EXPECT_EQ(st.slow_consumer_disconnects, 0u);
  server.stop();
  server.wait();
}

TEST(EngineFanout, UnionExceptAndSelfExclusionAcrossShards) {
  roomcast::Server server(test_config(2));
  install(server);
  auto& nsp = server.of("/");
  nsp.on("others", [](roomcast::Socket& s, const roomcast::Args& a, roomcast::Ack) {
    s.to(*a.str(0)).emit("m", "others");
  });
  server.start();
  const uint16_t port = server.port();

  // a: {x}, b: {x, y}, c: {y}, d: {z}
  WsTestClient a, b, c, d;
  ASSERT_TRUE(connect_and_join(a, port, "x"));
  ASSERT_TRUE(connect_and_join(b, port, "x"));
  b.send_text("422[\"join\",\"y\"]");
  ASSERT_EQ(b.read_text().value_or(""), "432[\"ok\"]");
  ASSERT_TRUE(connect_and_join(c, port, "y"));
  ASSERT_TRUE(connect_and_join(d, port, "z"));

  // to(x).to(y): a, b (once), c
  server.of("/").to("x").to("y").emit("m", "union");
  for (auto* cl : {&a, &b, &c}) EXPECT_EQ(cl->read_text().value_or(""), "42[\"m\",\"union\"]");
  EXPECT_FALSE(b.read_text(150)) << "b got the union twice";
  EXPECT_FALSE(d.read_text(50));

  // to(x).to(y).except(y): only a
  server.of("/").to("x").to("y").except("y").emit("m", "except");
  EXPECT_EQ(a.read_text().value_or(""), "42[\"m\",\"except\"]");
  for (auto* cl : {&b, &c, &d}) EXPECT_FALSE(cl->read_text(100));

  // socket.to(x) from b: a only
  b.send_text("42[\"others\",\"x\"]");
  EXPECT_EQ(a.read_text().value_or(""), "42[\"m\",\"others\"]");
  EXPECT_FALSE(b.read_text(150));

  // Namespace-wide except(z): everyone but d
  server.of("/").except("z").emit("m", "all");
  for (auto* cl : {&a, &b, &c}) EXPECT_EQ(cl->read_text().value_or(""), "42[\"m\",\"all\"]");
  EXPECT_FALSE(d.read_text(150));

  // sockets_join from outside the shards, then a room emit reaches the joined sockets.
  server.of("/").in("y").sockets_join("w");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server.of("/").to("w").emit("m", "w");
  for (auto* cl : {&b, &c}) EXPECT_EQ(cl->read_text().value_or(""), "42[\"m\",\"w\"]");
  EXPECT_FALSE(a.read_text(150));

  server.stop();
  server.wait();
}

TEST(EngineFanout, ProfilerRecordsEveryStageOfEachBroadcast) {
  roomcast::Config cfg = test_config(2);
  cfg.profile_broadcasts = true;
  roomcast::Server server(cfg);
  install(server);
  server.start();
  std::vector<std::unique_ptr<WsTestClient>> members;
  for (int i = 0; i < 16; ++i) {  // 16 members: both shards have some (p = 1 - 2^-15)
    members.push_back(std::make_unique<WsTestClient>());
    ASSERT_TRUE(connect_and_join(*members.back(), server.port(), "r"));
  }
  for (int i = 0; i < 20; ++i) server.of("/").to("r").emit("m", i);
  for (auto& m : members)
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(m->read_text());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::string json = server.latency_profile_json();
  // 20 broadcasts reach both shards: 40 shard-level records of every stage.
  EXPECT_NE(json.find("\"broadcasts\":40,"), std::string::npos) << json;
  EXPECT_NE(json.find("\"recipients\":320,"), std::string::npos) << json;
  EXPECT_NE(json.find("\"total\":{\"count\":40,"), std::string::npos) << json;
  server.reset_latency_profile();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_NE(server.latency_profile_json().find("\"broadcasts\":0,"), std::string::npos);
  server.stop();
  server.wait();
}
