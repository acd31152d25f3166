// Graceful stop: messages emitted before stop() reach every connected client, followed by a
// Socket.IO DISCONNECT per namespace and a WebSocket close 1001; a client that never reads
// is cut at the shutdown deadline, not before and not much after.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine_test_support.h"
#include "roomcast/server.h"
#include "ws_test_client.h"

using roomcast::testing::WsTestClient;
using roomcast::testing::quiet_config;

namespace {

roomcast::Config config(unsigned shards, uint32_t shutdown_ms) {
  roomcast::Config cfg = quiet_config(shards);
  cfg.shutdown_timeout_ms = shutdown_ms;
  return cfg;
}

void connect_both(WsTestClient& c, uint16_t port) {
  ASSERT_TRUE(c.connect(port));
  c.send_text("40");
  ASSERT_TRUE(c.read_text());
  c.send_text("40/chat,");
  ASSERT_TRUE(c.read_text());
}

}  // namespace

TEST(EngineShutdown, EverythingEmittedBeforeStopArrivesThenDisconnectAndGoingAway) {
  roomcast::Server server(config(2, 5000));
  server.of("/");
  server.of("/chat");
  server.start();
  constexpr int kClients = 6, kMessages = 300;
  std::vector<std::unique_ptr<WsTestClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<WsTestClient>());
    connect_both(*clients.back(), server.port());
  }
  // Nobody reads while this is emitted and the stop is requested: all of it is queued (or
  // in socket buffers) when the shards start shutting down.
  const std::string pad(512, 'p');
  for (int i = 0; i < kMessages; ++i) ASSERT_TRUE(server.of("/").emit("m", i, std::string_view(pad)));
  server.stop();
  for (auto& c : clients) {
    int next = 0;
    bool nsp_root = false, nsp_chat = false;
    while (auto t = c->read_text(3000, false)) {
      if (t->rfind("42[\"m\",", 0) == 0) {
        EXPECT_EQ(*t, "42[\"m\"," + std::to_string(next) + ",\"" + pad + "\"]");
        EXPECT_FALSE(nsp_root) << "message after DISCONNECT";
        ++next;
      } else if (*t == "41") {
        nsp_root = true;
      } else if (*t == "41/chat,") {
        nsp_chat = true;
      } else if (*t != "2") {
        ADD_FAILURE() << "unexpected " << *t;
      }
    }
    EXPECT_EQ(next, kMessages);
    EXPECT_TRUE(nsp_root);
    EXPECT_TRUE(nsp_chat);
    EXPECT_EQ(c->closed_code(), 1001);
    EXPECT_TRUE(c->wait_closed(2000));
  }
  server.wait();
}

TEST(EngineShutdown, ClientThatNeverReadsIsCutAtTheDeadline) {
  auto cfg = config(1, 600);
  cfg.max_send_queue_bytes = 64 << 20;  // this test is about the deadline, not the slow-consumer bound
  roomcast::Server server(cfg);
  server.of("/");
  server.of("/chat");
  server.start();
  WsTestClient stuck;
  connect_both(stuck, server.port());
  // Shrink the client's receive buffer so the server's queue cannot drain into it.
  int small = 4096;
  ::setsockopt(stuck.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  const std::string pad(16384, 'p');
  // 16 MB: more than the kernel buffers on both ends can absorb, so most stays queued.
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(server.of("/").emit("m", std::string_view(pad)));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto t0 = std::chrono::steady_clock::now();
  server.stop();
  server.wait();
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, std::chrono::milliseconds(550));
  EXPECT_LT(took, std::chrono::milliseconds(2500));
}

TEST(EngineShutdown, IdleServerStopsAtOnce) {
  roomcast::Server server(config(2, 5000));
  server.of("/");
  server.start();
  WsTestClient c;
  ASSERT_TRUE(c.connect(server.port()));
  c.send_text("40");
  ASSERT_TRUE(c.read_text());
  auto t0 = std::chrono::steady_clock::now();
  server.stop();
  EXPECT_EQ(c.read_text(2000).value_or(""), "41");
  EXPECT_FALSE(c.read_text(2000));
  EXPECT_EQ(c.closed_code(), 1001);
  c.close_fd();  // our side of the close handshake
  server.wait();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(2000));
}
