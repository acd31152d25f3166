// One connection closed several ways at once: the client's close frame and FIN, a handler's
// disconnect(true), a disconnect_sockets() posted from another shard's handler, and the
// slow-consumer reset, in varying orders and in quick succession. Each connection must end
// exactly once (one disconnect-handler call per socket), the counters must come back to the
// survivors only, and slots reused by later connections must not be touched by the stale
// completions of the earlier ones. Run under ASan in CI for the use-after-free side.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine_test_support.h"
#include "roomcast/server.h"
#include "ws_test_client.h"

using roomcast::testing::WsTestClient;
using roomcast::testing::eventually;
using Clock = std::chrono::steady_clock;
using roomcast::testing::on_join;
using roomcast::testing::room_size;

namespace {

std::unique_ptr<WsTestClient> member(uint16_t port, const std::string& room) {
  auto c = std::make_unique<WsTestClient>();
  if (!c->connect(port)) return nullptr;
  c->send_text("40");
  auto ok = c->read_text();
  if (!ok || ok->rfind("40{", 0) != 0) return nullptr;
  c->send_text("421[\"join\",\"" + room + "\"]");
  if (c->read_text().value_or("") != "431[\"ok\"]") return nullptr;
  return c;
}

// A masked client frame, built here so several can go out in one write.
std::string client_frame(uint8_t opcode, const std::string& payload) {
  std::string f;
  f += char(0x80 | opcode);
  f += char(0x80 | payload.size());  // payloads here are < 126 bytes
  const char mask[4] = {0x11, 0x22, 0x33, 0x44};
  f.append(mask, 4);
  for (size_t i = 0; i < payload.size(); ++i) f += char(payload[i] ^ mask[i % 4]);
  return f;
}
}  // namespace

TEST(EngineCloseRaces, EveryWayOfClosingAtOnceEndsEachConnectionOnce) {
  roomcast::Config cfg;
  cfg.port = 0;
  cfg.shards = 2;
  // A 16 KiB broadcast alone is over this: the recipient is reset in the turn it is queued,
  // while its other closes are on their way. Survivors only get small messages.
  cfg.max_send_queue_bytes = 8 << 10;
  cfg.log = [](std::string_view) {};
  roomcast::Server server(cfg);
  std::atomic<uint64_t> disconnect_calls{0};
  auto& nsp = server.of("/");
  nsp.on_connection([&](roomcast::Socket& s) {
    s.on_disconnect([&](roomcast::Socket&, std::string_view) { disconnect_calls.fetch_add(1); });
  });
  on_join(nsp);
  nsp.on("bye", [](roomcast::Socket& s, const roomcast::Args&, roomcast::Ack) { s.disconnect(true); });
  // Runs on the kicker's shard; the victims may be on the other one.
  nsp.on("kick", [&nsp](roomcast::Socket&, const roomcast::Args& a, roomcast::Ack) {
    nsp.to(*a.str(0)).disconnect_sockets(true);
  });
  server.start();

  auto kicker = member(server.port(), "kickers");
  ASSERT_TRUE(kicker);
  std::vector<std::unique_ptr<WsTestClient>> survivors;  // one joins per round, into reused slots
  std::vector<int> first_tick;                            // the first tick each survivor gets
  constexpr int kRounds = 30, kVictims = 4;
  const std::string big(16384, 'b');
  int tick = 0;
  for (int round = 0; round < kRounds; ++round) {
    const std::string room = "v" + std::to_string(round);
    std::vector<std::unique_ptr<WsTestClient>> vs;
    for (int i = 0; i < kVictims; ++i) {
      vs.push_back(member(server.port(), room));
      ASSERT_TRUE(vs.back()) << round;
    }
    const std::string bye = client_frame(1, "42[\"bye\"]") + client_frame(8, std::string("\x03\xE8", 2));
    auto peer_side = [&] {
      for (auto& v : vs) {
        v->send_raw(bye);
        ::shutdown(v->fd(), SHUT_WR);  // FIN right behind the close frame
      }
    };
    auto kick = [&] { kicker->send_text("42[\"kick\",\"" + room + "\"]"); };
    auto reset = [&] { ASSERT_TRUE(server.of("/").to(room).emit("big", std::string_view(big))); };
    switch (round % 3) {  // the same four closes, started in different orders
      case 0: peer_side(); kick(); reset(); break;
      case 1: reset(); kick(); peer_side(); break;
      case 2: kick(); peer_side(); reset(); break;
    }
    if (round % 2) vs.clear();  // some close their descriptors at once, unread
    survivors.push_back(member(server.port(), "alive"));
    ASSERT_TRUE(survivors.back()) << round;
    first_tick.push_back(tick + 1);
    ASSERT_TRUE(server.of("/").to("alive").emit("tick", ++tick));
    vs.clear();
  }
  // Every survivor got every tick from its joining on, in order, and nothing else.
  for (size_t i = 0; i < survivors.size(); ++i)
    for (int t = first_tick[i]; t <= tick; ++t)
      ASSERT_EQ(survivors[i]->read_text().value_or("(none)"), "42[\"tick\"," + std::to_string(t) + "]")
          << "survivor " << i;
  const uint64_t alive = 1 + survivors.size();
  ASSERT_TRUE(eventually(server, [&](const roomcast::Stats& s) { return s.connections == alive; }))
      << server.stats().connections << " connections, want " << alive;
  EXPECT_EQ(server.stats().sockets, alive);
  EXPECT_EQ(server.stats().accepted, alive + uint64_t(kRounds) * kVictims);
  // One disconnect per victim socket, however many closes raced for it.
  EXPECT_EQ(disconnect_calls.load(), uint64_t(kRounds) * kVictims);
  EXPECT_GT(server.stats().slow_consumer_disconnects, 0u);  // the reset did win some races
  for (int round = 0; round < kRounds; ++round) EXPECT_EQ(room_size(server, "v" + std::to_string(round)), 0u);
  EXPECT_EQ(room_size(server, "alive"), survivors.size());
  // The kicker's shard is fine too.
  kicker->send_text("421[\"join\",\"x\"]");
  EXPECT_EQ(kicker->read_text().value_or(""), "431[\"ok\"]");
  survivors.clear();
  kicker.reset();
  EXPECT_TRUE(eventually(server, [](const roomcast::Stats& s) { return s.connections == 0 && s.sockets == 0; }));
  EXPECT_EQ(disconnect_calls.load(), uint64_t(kRounds) * kVictims + alive);
  server.stop();
  server.wait();
}
