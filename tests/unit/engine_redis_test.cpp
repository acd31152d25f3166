// The Redis adapter's behaviour when Redis is not there: local delivery is unaffected, the
// outgoing queue is bounded (drop-newest, counted), and stopping is clean. The cluster
// itself (a real redis-server, Node peers) is exercised by tests/interop/redis.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "engine_test_support.h"
#include "roomcast/redis.h"
#include "roomcast/server.h"
#include "ws_test_client.h"

using roomcast::testing::WsTestClient;
using roomcast::testing::on_join;
using roomcast::testing::quiet_config;

namespace {

// A loopback port nobody listens on: bound, never listened, so connects are refused.
struct DeadPort {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  uint16_t port = 0;
  DeadPort() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~DeadPort() { ::close(fd); }
};

roomcast::Config config_for(uint16_t redis_port, size_t max_queue, size_t max_bytes = 1 << 20) {
  roomcast::Config cfg = quiet_config(2);
  roomcast::redis::Options options;
  options.max_queue = max_queue;
  options.max_queue_bytes = max_bytes;
  cfg.adapter = roomcast::redis::adapter("redis://127.0.0.1:" + std::to_string(redis_port), options);
  return cfg;
}

}  // namespace

TEST(EngineRedis, BadUrlIsRefused) {
  EXPECT_THROW(roomcast::redis::adapter("redis://user:pw@127.0.0.1:6379"), std::invalid_argument);
  EXPECT_THROW(roomcast::redis::adapter("redis://127.0.0.1:99999"), std::invalid_argument);
}

TEST(EngineRedis, OutgoingQueueDropsNewestAtItsBound) {
  DeadPort dead;
  roomcast::Server server(config_for(dead.port, 8));
  auto& nsp = server.of("/");
  server.start();
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(nsp.to("room").emit("m", i));  // local delivery still accepted
  const auto s = server.stats();
  EXPECT_FALSE(s.adapter.connected);
  EXPECT_EQ(s.adapter.published, 0u);
  EXPECT_EQ(s.adapter.publish_dropped, 12u);
  server.stop();
  server.wait();
}

TEST(EngineRedis, OutgoingQueueBytesBound) {
  DeadPort dead;
  roomcast::Server server(config_for(dead.port, 1000, 10000));
  auto& nsp = server.of("/");
  server.start();
  const std::string big(3000, 'x');  // ~3 kB of msgpack each: three fit in 10,000 bytes
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(nsp.emit("m", big));
  EXPECT_EQ(server.stats().adapter.publish_dropped, 2u);
  server.stop();
  server.wait();
}

TEST(EngineRedis, LocalDeliveryWithoutRedis) {
  DeadPort dead;
  roomcast::Server server(config_for(dead.port, 4));
  auto& nsp = server.of("/");
  on_join(nsp);
  nsp.on("pub", [](roomcast::Socket& s, const roomcast::Args& a, roomcast::Ack) {
    s.nsp().to(*a.str(0)).emit_args("m", a.forward(1));
  });
  server.start();
  WsTestClient a, b;
  for (WsTestClient* c : {&a, &b}) {
    ASSERT_TRUE(c->connect(server.port()));
    c->send_text("40");
    auto ok = c->read_text();
    ASSERT_TRUE(ok && ok->rfind("40{\"sid\":", 0) == 0);
    c->send_text("421[\"join\",\"r\"]");
    auto ack = c->read_text();
    ASSERT_TRUE(ack && *ack == "431[\"ok\"]");
  }
  for (int i = 0; i < 10; ++i) a.send_text("42[\"pub\",\"r\"," + std::to_string(i) + "]");
  for (int i = 0; i < 10; ++i) {
    auto m = b.read_text(5000);
    ASSERT_TRUE(m.has_value()) << i;
    EXPECT_EQ(*m, "42[\"m\"," + std::to_string(i) + "]");
  }
  // The handler publishes to Redis after the local fan-out, so the count may trail the
  // deliveries a little: wait (bounded) for it, then check it is exactly 6 (bound 4, 10 sent).
  for (int i = 0; i < 200 && server.stats().adapter.publish_dropped < 6; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(server.stats().adapter.publish_dropped, 6u);
  server.stop();
  server.wait();
}

// serverSideEmit with no cluster: nothing to send; with ack, no answers at once (as Node's
// Redis adapter alone). With Redis unreachable: the ack reports the failure, on the adapter
// thread, without waiting for the 5 s request timeout.
TEST(EngineRedis, ServerSideEmitWithoutCluster) {
  roomcast::Config alone = quiet_config(1);
  roomcast::Server server(alone);
  auto& nsp = server.of("/");
  server.start();
  EXPECT_TRUE(nsp.server_side_emit("ping", 1));
  EXPECT_FALSE(nsp.server_side_emit("disconnect"));
  int calls = 0;
  bool timed_out = true;
  size_t answers = 99;
  const roomcast::Arg one(1);
  EXPECT_TRUE(nsp.server_side_emit_with_ack("ping", std::span<const roomcast::Arg>(&one, 1),
                                            [&](bool t, const roomcast::Args& r) {
                                              ++calls;
                                              timed_out = t;
                                              answers = r.size();
                                            }));
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(timed_out);
  EXPECT_EQ(answers, 0u);
  EXPECT_FALSE(nsp.server_side_emit_with_ack("connect", {}, [&](bool, const roomcast::Args&) { ++calls; }));
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(nsp.server_side_emit_with_ack("ping", {}, nullptr));  // no callback: a plain emit
  server.stop();
  server.wait();
}

TEST(EngineRedis, ServerSideEmitWithAckWhileRedisIsAway) {
  DeadPort dead;
  roomcast::Server server(config_for(dead.port, 4));
  auto& nsp = server.of("/");
  server.start();
  std::atomic<int> calls{0};
  std::atomic<bool> timed_out{false};
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(nsp.server_side_emit_with_ack("ping", {}, [&](bool t, const roomcast::Args& r) {
    timed_out = t && r.empty();
    ++calls;
  }));
  for (int i = 0; i < 300 && calls.load() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(calls.load(), 1);
  EXPECT_TRUE(timed_out.load());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  server.stop();
  server.wait();
  EXPECT_EQ(calls.load(), 1);
}

TEST(EngineRedis, BroadcastWithAckWhileRedisIsAway) {
  // The local members answer; no other node can (Redis is unreachable), so the callback
  // has their answers and timed_out, at once rather than at the timeout.
  DeadPort dead;
  roomcast::Server server(config_for(dead.port, 4));
  auto& nsp = server.of("/");
  server.start();
  WsTestClient c;
  ASSERT_TRUE(c.connect(server.port()));
  c.send_text("40");
  ASSERT_TRUE(c.read_text());
  std::atomic<int> calls{0};
  std::atomic<bool> timed_out{false};
  std::atomic<size_t> answers{0};
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(nsp.all().emit_with_ack("q", {}, [&](bool t, std::vector<roomcast::Args> r) {
    timed_out = t;
    answers = r.size();
    ++calls;
  }, std::chrono::seconds(10)));
  auto q = c.read_text();
  ASSERT_TRUE(q && q->rfind("42", 0) == 0) << q.value_or("");
  c.send_text("43" + q->substr(2, q->find('[') - 2) + "[\"yes\"]");
  for (int i = 0; i < 300 && calls.load() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(calls.load(), 1);
  EXPECT_TRUE(timed_out.load());
  EXPECT_EQ(answers.load(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  // The server-side request counters are in the stats.
  EXPECT_TRUE(nsp.server_side_emit("ping", 1));
  const auto st = server.stats();
  EXPECT_EQ(st.adapter.server_side_sent, 1u);
  EXPECT_EQ(st.broadcast_acks, 1u);
  EXPECT_EQ(st.broadcast_ack_timeouts, 1u);
  server.stop();
  server.wait();
  EXPECT_EQ(calls.load(), 1);
}
