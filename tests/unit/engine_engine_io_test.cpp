// The bare Engine.IO endpoint: raw messages to the application, no Socket.IO layer.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "roomcast/server.h"
#include "ws_test_client.h"

using roomcast::testing::WsTestClient;

namespace {

struct Seen {
  std::atomic<int> opens{0}, closes{0};
  std::mutex mu;
  std::string last_close_reason;
};

std::unique_ptr<roomcast::Server> start(Seen& seen, roomcast::Config cfg = {}, unsigned shards = 2) {
  cfg.port = 0;
  cfg.shards = shards;
  cfg.log = [](std::string_view) {};
  cfg.engine_io_path = "/engine.io/";
  cfg.engine_io.on_open = [&seen](const roomcast::EngineConnection& c) {
    ++seen.opens;
    c.send("welcome " + c.id());
  };
  if (!cfg.engine_io.on_message) cfg.engine_io.on_message = [](const roomcast::EngineConnection& c, std::string_view data, bool binary) {
    if (binary)
      c.send_binary({reinterpret_cast<const uint8_t*>(data.data()), data.size()});
    else if (data == "bye")
      c.close();
    else
      c.send(std::string("echo:") + std::string(data));
  };
  cfg.engine_io.on_close = [&seen](const roomcast::EngineConnection&, std::string_view reason) {
    std::lock_guard lk(seen.mu);
    seen.last_close_reason = std::string(reason);
    ++seen.closes;
  };
  auto s = std::make_unique<roomcast::Server>(cfg);
  s->start();
  return s;
}

bool wait_for(const std::function<bool()>& cond) {
  for (int i = 0; i < 300 && !cond(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return cond();
}

const std::string kPath = "/engine.io/?EIO=4&transport=websocket";

}  // namespace

TEST(EngineIo, MessagesReachTheApplicationRawBothWays) {
  Seen seen;
  auto s = start(seen);
  WsTestClient c;
  auto open = c.connect(s->port(), kPath);
  ASSERT_TRUE(open);
  std::string sid = open->substr(9, 20);
  EXPECT_EQ(c.read_text(), "4welcome " + sid);
  c.send_text("4hello");
  EXPECT_EQ(c.read_text(), "4echo:hello");
  c.send_text("40");  // a Socket.IO CONNECT is only a message here
  EXPECT_EQ(c.read_text(), "4echo:0");
  c.send_binary(std::string("\x00\xff", 2));
  auto f = c.read_frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, 2);
  EXPECT_EQ(f->payload, std::string("\x00\xff", 2));
  EXPECT_EQ(seen.opens.load(), 1);
  s->stop();
  s->wait();
}

TEST(EngineIo, NoConnectTimeoutAndCloseIsReported) {
  Seen seen;
  roomcast::Config cfg;
  cfg.connect_timeout_ms = 150;
  auto s = start(seen, cfg);
  WsTestClient c;
  ASSERT_TRUE(c.connect(s->port(), kPath));
  ASSERT_TRUE(c.read_text());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  c.send_text("4still here");
  EXPECT_EQ(c.read_text(), "4echo:still here");
  c.send_text("4bye");  // the application closes the connection
  EXPECT_TRUE(c.wait_closed());
  EXPECT_TRUE(wait_for([&] { return seen.closes.load() == 1; }));
  {
    std::lock_guard lk(seen.mu);
    EXPECT_EQ(seen.last_close_reason, "forced close");
  }
  s->stop();
  s->wait();
}

TEST(EngineIo, SocketIoPathStillServesSocketIo) {
  Seen seen;
  auto s = start(seen);
  s->of("/");
  WsTestClient c;
  ASSERT_TRUE(c.connect(s->port()));
  c.send_text("40");
  auto reply = c.read_text();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->rfind("40{\"sid\":", 0), 0u) << *reply;
  EXPECT_EQ(seen.opens.load(), 0);
  s->stop();
  s->wait();
}

// Application code may throw anything; before it went through Shard::guarded, a throw that
// was not a std::exception escaped the Engine.IO handlers and ended the shard's thread.
TEST(EngineIo, HandlerThrowingANonExceptionIsCountedAndTheShardGoesOn) {
  Seen seen;
  roomcast::Config cfg;
  cfg.engine_io.on_message = [](const roomcast::EngineConnection& c, std::string_view data, bool) {
    if (data == "throw-int") throw 42;
    if (data == "throw-std") throw std::runtime_error("boom");
    c.send(std::string("echo:") + std::string(data));
  };
  auto s = start(seen, cfg, 1);
  WsTestClient a, b;
  ASSERT_TRUE(a.connect(s->port(), kPath));
  ASSERT_TRUE(a.read_text());
  a.send_text("4throw-int");
  a.send_text("4throw-std");
  a.send_text("4after");
  EXPECT_EQ(a.read_text(), "4echo:after");
  ASSERT_TRUE(b.connect(s->port(), kPath));  // the shard still accepts and serves others
  ASSERT_TRUE(b.read_text());
  b.send_text("4hi");
  EXPECT_EQ(b.read_text(), "4echo:hi");
  EXPECT_EQ(s->stats().handler_exceptions, 2u);
  s->stop();
  s->wait();
}
