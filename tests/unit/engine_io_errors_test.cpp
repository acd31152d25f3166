// io_uring error paths of the shard: a submission queue that fills mid-turn (a real tiny
// ring), a kernel that takes no SQE for a while (-EAGAIN, injected: it cannot be provoked on
// demand), and receives/sends ended with ECANCELED by connection resets. The shard keeps
// serving, counts what happened, and a healthy client loses nothing.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine_test_support.h"
#include "loop/io_test_hooks.h"
#include "roomcast/server.h"
#include "ws_test_client.h"

using roomcast::testing::WsTestClient;
using roomcast::testing::eventually;
using Clock = std::chrono::steady_clock;
using roomcast::testing::quiet_config;

namespace {

roomcast::Config tiny_ring() {
  roomcast::Config cfg;
  cfg.port = 0;
  cfg.shards = 1;
  cfg.io_uring_entries = 8;  // fills with a handful of sends
  cfg.log = [](std::string_view) {};
  return cfg;
}

void install_join(roomcast::Server& s) {
  s.of("/").on("join", [](roomcast::Socket& sock, const roomcast::Args& a, roomcast::Ack ack) {
    sock.join(*a.str(0));
    ack("ok");
  });
  s.of("/").on("echo", [](roomcast::Socket& sock, const roomcast::Args& a, roomcast::Ack) {
    sock.emit_args("echo", a.forward());
  });
}

std::unique_ptr<WsTestClient> member(uint16_t port, const char* room) {
  auto c = std::make_unique<WsTestClient>();
  if (!c->connect(port)) return nullptr;
  c->send_text("40");
  auto ok = c->read_text();
  if (!ok || ok->rfind("40{", 0) != 0) return nullptr;
  c->send_text(std::string("421[\"join\",\"") + room + "\"]");
  if (c->read_text().value_or("") != "431[\"ok\"]") return nullptr;
  return c;
}

// Every client reads `n` broadcasts "m" numbered from 1, in order.
void expect_all_in_order(std::vector<std::unique_ptr<WsTestClient>>& cs, int n) {
  for (size_t i = 0; i < cs.size(); ++i)
    for (int k = 1; k <= n; ++k) {
      std::string got = cs[i]->read_text(5000).value_or("(none)");
      ASSERT_EQ(got, "42[\"m\"," + std::to_string(k) + "]") << "client " << i;
    }
}

struct ClearHook {
  ~ClearHook() { roomcast::detail::test_hooks::refuse_submits.store(0); }
};

}  // namespace

TEST(EngineIoErrors, FullSubmissionQueueIsSubmittedMidTurn) {
  roomcast::Server server(tiny_ring());
  install_join(server);
  server.start();
  constexpr int kClients = 40, kMessages = 30;
  std::vector<std::unique_ptr<WsTestClient>> cs;
  for (int i = 0; i < kClients; ++i) {
    cs.push_back(member(server.port(), "r"));
    ASSERT_TRUE(cs.back()) << i;
  }
  // One broadcast is 40 sends in one turn: five times the queue.
  for (int k = 1; k <= kMessages; ++k) ASSERT_TRUE(server.of("/").to("r").emit("m", k));
  expect_all_in_order(cs, kMessages);
  EXPECT_GT(server.stats().submission_queue_full, 0u);
  EXPECT_EQ(server.stats().submit_retries, 0u);  // the kernel took every full queue
  // Receives still work on every connection (their re-arms went through the same path).
  for (int i = 0; i < kClients; ++i) {
    cs[i]->send_text("42[\"echo\"," + std::to_string(i) + "]");
    EXPECT_EQ(cs[i]->read_text().value_or(""), "42[\"echo\"," + std::to_string(i) + "]");
  }
  EXPECT_EQ(server.stats().protocol_errors, 0u);
  EXPECT_EQ(server.stats().connections, uint64_t(kClients));
  server.stop();
  server.wait();
}

TEST(EngineIoErrors, SubmitsTheKernelRefusesAreRetried) {
  ClearHook clear;
  roomcast::Server server(tiny_ring());
  install_join(server);
  server.start();
  constexpr int kClients = 20, kMessages = 10;
  std::vector<std::unique_ptr<WsTestClient>> cs;
  for (int i = 0; i < kClients; ++i) {
    cs.push_back(member(server.port(), "r"));
    ASSERT_TRUE(cs.back()) << i;
  }
  constexpr uint32_t kRefusals = 6;
  roomcast::detail::test_hooks::refuse_submits.store(kRefusals);
  for (int k = 1; k <= kMessages; ++k) ASSERT_TRUE(server.of("/").to("r").emit("m", k));
  expect_all_in_order(cs, kMessages);
  // Only mid-turn submits consume refusals; a full queue (20 sends a turn) retries until the
  // kernel takes it, so all of them are used up there or by a send-scratch flush.
  EXPECT_EQ(roomcast::detail::test_hooks::refuse_submits.load(), 0u);
  EXPECT_GE(server.stats().submit_retries, 1u);
  EXPECT_LE(server.stats().submit_retries, uint64_t(kRefusals));
  EXPECT_GT(server.stats().submission_queue_full, 0u);
  WsTestClient late;  // accept is still armed
  EXPECT_TRUE(late.connect(server.port()));
  server.stop();
  server.wait();
}

TEST(EngineIoErrors, CancelledReceivesOfResetConnectionsFreeTheirSlots) {
  roomcast::Config cfg = quiet_config(1);
  cfg.max_send_queue_bytes = 512 << 10;
  roomcast::Server server(cfg);
  install_join(server);
  server.start();
  auto healthy = member(server.port(), "r");
  ASSERT_TRUE(healthy);
  constexpr int kSlow = 6;
  std::vector<std::unique_ptr<WsTestClient>> slow;
  for (int i = 0; i < kSlow; ++i) {
    slow.push_back(member(server.port(), "r"));
    ASSERT_TRUE(slow.back());
    int small = 4096;
    ::setsockopt(slow.back()->fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  }
  // The healthy client reads concurrently: it must see every message, in order.
  const std::string pad(16384, 'p');
  constexpr int kMax = 3000;
  std::atomic<int> sent{0}, received{0};
  std::atomic<bool> done{false};
  std::thread reader([&] {
    auto until = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < until && !(done && received == sent)) {
      auto t = healthy->read_text(200);
      if (!t) continue;
      const int k = received + 1;
      std::string want = "42[\"m\",\"" + pad + "\"," + std::to_string(k) + "]";
      if (*t != want) {
        ADD_FAILURE() << "message " << k << " out of order or damaged";
        return;
      }
      received = k;
    }
  });
  // Bounded: kernel buffers take a few MiB per slow client, then their queues hit the bound.
  // The healthy reader is never more than 8 messages (128 KiB) behind, so however slowly it
  // gets scheduled, it stays far from the bound itself.
  auto until = Clock::now() + std::chrono::seconds(20);
  for (int k = 1; k <= kMax && server.stats().slow_consumer_disconnects < uint64_t(kSlow); ++k) {
    while (k - received > 8 && Clock::now() < until) std::this_thread::sleep_for(std::chrono::microseconds(200));
    ASSERT_TRUE(server.of("/").to("r").emit("m", std::string_view(pad), k));
    sent = k;
  }
  done = true;
  reader.join();
  EXPECT_EQ(received.load(), sent.load());
  ASSERT_EQ(server.stats().slow_consumer_disconnects, uint64_t(kSlow));
  // Each reset cancels the connection's multishot receive (ECANCELED), then frees the slot.
  ASSERT_TRUE(eventually(server, [](const roomcast::Stats& s) { return s.connections == 1; }))
      << server.stats().connections;
  EXPECT_GE(server.stats().io_cancelled, uint64_t(kSlow));
  EXPECT_EQ(server.stats().connections_reset, uint64_t(kSlow));
  EXPECT_EQ(server.stats().sockets, 1u);
  slow.clear();
  // Freed slots take new connections, which get broadcasts like anyone.
  std::vector<std::unique_ptr<WsTestClient>> again;
  for (int i = 0; i < kSlow; ++i) {
    again.push_back(member(server.port(), "r"));
    ASSERT_TRUE(again.back());
  }
  ASSERT_TRUE(server.of("/").to("r").emit("after", 1));
  for (auto& c : again) EXPECT_EQ(c->read_text().value_or(""), "42[\"after\",1]");
  EXPECT_EQ(healthy->read_text().value_or(""), "42[\"after\",1]");
  EXPECT_EQ(server.stats().connections, uint64_t(1 + kSlow));
  server.stop();
  server.wait();
}
