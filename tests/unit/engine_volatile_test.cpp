// Volatile emits: a client that stops reading loses volatile messages (counted) but is not
// disconnected; a reading client in the same room gets them in order; regular messages
// are never skipped.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "engine_test_support.h"
#include "roomcast/server.h"
#include "ws_test_client.h"

using roomcast::testing::WsTestClient;
using roomcast::testing::on_join;
using roomcast::testing::quiet_config;

namespace {

// Two shards, a volatile bound well under the slow-consumer bound, and the demo join.
struct Running : roomcast::testing::Running {
  static roomcast::Config config() {
    roomcast::Config cfg = quiet_config(2);
    cfg.volatile_queue_bytes = 256 << 10;
    cfg.max_send_queue_bytes = 1 << 20;
    return cfg;
  }
  explicit Running(const std::function<void(roomcast::Server&)>& setup = {})
      : roomcast::testing::Running(config(), [&setup](roomcast::Server& s) {
          on_join(s.of("/"));
          if (setup) setup(s);
        }) {}
};

void join(WsTestClient& c, uint16_t port, const char* room) {
  ASSERT_TRUE(c.connect(port));
  c.send_text("40");
  ASSERT_TRUE(c.read_text());
  c.send_text(std::string("421[\"join\",\"") + room + "\"]");
  ASSERT_EQ(c.read_text().value_or(""), "431[\"ok\"]");
}

// The number in `42["m",N,...]`, or -1.
int seq_of(const std::string& t) {
  if (t.rfind("42[\"m\",", 0) != 0) return -1;
  return std::atoi(t.c_str() + 7);
}

}  // namespace

TEST(EngineVolatile, StalledClientSkipsVolatileAndStaysConnected) {
  Running r;
  WsTestClient stalled, healthy;
  join(stalled, r.server->port(), "r");
  join(healthy, r.server->port(), "r");
  // Small, but not below half a loopback MSS: a smaller window makes the sender wait for
  // the persist timer, and the drain below would take minutes.
  int small = 65536;
  ::setsockopt(stalled.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));

  // 4000 x 4 KiB = 16 MiB: far past the 1 MiB hard bound plus what kernel buffers hold.
  const std::string pad(4096, 'v');
  constexpr int kMessages = 4000;
  std::atomic<int> got{0}, last{-1};
  std::atomic<bool> order_ok{true};
  std::thread reader([&] {
    while (got < kMessages) {
      auto t = healthy.read_text(5000);
      if (!t) break;
      int n = seq_of(*t);
      if (n < 0) continue;
      if (n <= last) order_ok = false;
      last = n;
      ++got;
    }
  });
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(r.server->of("/").to("r").volatile_().emit("m", i, std::string_view(pad)));
    if (i % 4 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  reader.join();
  auto st = r.server->stats();
  EXPECT_EQ(st.connections, 2u);
  EXPECT_EQ(st.slow_consumer_disconnects, 0u);
  EXPECT_TRUE(order_ok.load());
  // The stalled client held at most ~soft limit + kernel buffers: most was skipped.
  EXPECT_GT(st.volatile_drops, uint64_t(kMessages / 2));
  EXPECT_EQ(got.load(), kMessages) << "the reading client lost volatile messages";

  // A regular message afterwards is queued behind what the stalled client already has; once
  // it reads, it gets an in-order subset of the volatile ones and then that message.
  ASSERT_TRUE(r.server->of("/").to("r").emit("end"));
  int prev = -1, seen = 0;
  bool end = false;
  while (auto t = stalled.read_text(3000)) {
    if (*t == "42[\"end\"]") {
      end = true;
      break;
    }
    int n = seq_of(*t);
    if (n < 0) continue;
    EXPECT_GT(n, prev);
    prev = n;
    ++seen;
  }
  EXPECT_TRUE(end);
  EXPECT_GT(seen, 0);
  EXPECT_LT(seen, kMessages);
}

TEST(EngineVolatile, SocketVolatileEmitOnlyAppliesToTheNextEmit) {
  Running r([](roomcast::Server& s) {
    s.of("/").on("flood", [](roomcast::Socket& sock, const roomcast::Args&, roomcast::Ack) {
      const std::string pad(8192, 'f');
      for (int i = 0; i < 400; ++i) sock.volatile_().emit("m", i, std::string_view(pad));  // 3.2 MB
      sock.emit("done");  // not volatile: always queued
    });
  });
  WsTestClient c;
  join(c, r.server->port(), "x");
  c.send_text("42[\"flood\"]");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  int prev = -1, seen = 0;
  bool done = false;
  while (auto t = c.read_text(3000)) {
    if (*t == "42[\"done\"]") {
      done = true;
      break;
    }
    int n = seq_of(*t);
    ASSERT_GE(n, 0) << *t;
    EXPECT_GT(n, prev);
    prev = n;
    ++seen;
  }
  EXPECT_TRUE(done);
  auto st = r.server->stats();
  EXPECT_EQ(st.slow_consumer_disconnects, 0u);
  EXPECT_EQ(st.volatile_drops + uint64_t(seen), 400u);
  EXPECT_GT(st.volatile_drops, 0u);
}
