// The hard send-queue bound: a client that stops reading is cut with a TCP reset (not a FIN
// that would wait behind megabytes of unsent data), counted, and its room membership goes.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "engine_test_support.h"
#include "roomcast/server.h"
#include "ws_test_client.h"

using roomcast::testing::WsTestClient;
using roomcast::testing::on_join;
using roomcast::testing::quiet_config;

TEST(EngineSlowConsumer, CutWithResetAtTheHardBound) {
  roomcast::Config cfg = quiet_config(1);
  cfg.max_send_queue_bytes = 256 << 10;
  roomcast::Server server(cfg);
  on_join(server.of("/"));
  server.start();
  WsTestClient c;
  ASSERT_TRUE(c.connect(server.port()));
  c.send_text("40");
  ASSERT_TRUE(c.read_text());
  c.send_text("421[\"join\",\"r\"]");
  ASSERT_EQ(c.read_text().value_or(""), "431[\"ok\"]");
  int small = 65536;
  ::setsockopt(c.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));

  const std::string pad(16384, 's');
  // Bounded: the kernel buffers hold a few MiB at most, then the 256 KiB queue fills.
  for (int i = 0; i < 2000 && server.stats().slow_consumer_disconnects == 0; ++i) {
    ASSERT_TRUE(server.of("/").to("r").emit("m", std::string_view(pad)));
    if (i % 16 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(server.stats().slow_consumer_disconnects, 1u);
  // Counted just after the disconnect, on the shard's thread: allow it a moment.
  for (int i = 0; i < 100 && server.stats().connections_reset == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(server.stats().connections_reset, 1u);

  // What had reached our receive buffer can still be read; then the reset shows.
  char buf[65536];
  ssize_t n;
  size_t total = 0;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  do {
    n = ::recv(c.fd(), buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) total += size_t(n);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      n = 1;
    }
  } while (n > 0 && std::chrono::steady_clock::now() < until);
  EXPECT_EQ(n, -1) << "got an orderly FIN (recv returned 0) instead of a reset";
  EXPECT_EQ(errno, ECONNRESET);
  EXPECT_LT(total, size_t(64) << 20);
  for (int i = 0; i < 100 && server.stats().connections != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(server.stats().connections, 0u);
  EXPECT_EQ(server.stats().sockets, 0u);
  server.stop();
  server.wait();
}
using roomcast::testing::quiet_config;

