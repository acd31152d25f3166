// Calls handed to a shard from another thread (ServerCore::submit_to): at the shard's queue
// bound (Config::max_shard_queue, here 0 so every queue is at it) new work is refused,
// counted in Stats::tasks_refused, logged, and the caller's fallback runs; below the bound
// the same calls go through (the control half of each test).
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine_test_support.h"
#include "roomcast/server.h"
#include "ws_test_client.h"

using roomcast::testing::WsTestClient;
using roomcast::testing::eventually;

namespace {

struct Logged {
  std::mutex mu;
  std::vector<std::string> lines;
  bool has(std::string_view part) {
    std::lock_guard lock(mu);
    for (auto& l : lines)
      if (l.find(part) != std::string::npos) return true;
    return false;
  }
};

// A server whose "ask" event acks from another thread, and "ask_here" on the shard's own.
struct AckServer {
  explicit AckServer(size_t max_shard_queue) {
    roomcast::Config cfg = roomcast::testing::quiet_config(2);
    cfg.max_shard_queue = max_shard_queue;
    cfg.log = [this](std::string_view l) {
      std::lock_guard lock(log.mu);
      log.lines.emplace_back(l);
    };
    server = std::make_unique<roomcast::Server>(cfg);
    server->of("/").on("ask", [](roomcast::Socket&, const roomcast::Args&, roomcast::Ack ack) {
      std::thread([ack] { ack("later"); }).join();
    });
    server->of("/").on("ask_here", [](roomcast::Socket&, const roomcast::Args&, roomcast::Ack ack) { ack("now"); });
    server->start();
  }
  ~AckServer() { server->stop(); }
  Logged log;
  std::unique_ptr<roomcast::Server> server;
};

void connect(WsTestClient& c, uint16_t port) {
  ASSERT_TRUE(c.connect(port));
  c.send_text("40");
  ASSERT_EQ(c.read_text().value_or("").substr(0, 2), "40");
}

std::string polling_request(const std::string& method, const std::string& query, const std::string& body = {}) {
  return method + " /socket.io/?EIO=4&transport=polling" + query + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
         "Connection: close\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

// The sid out of a polling handshake response ("0{\"sid\":\"...\",...}").
std::string sid_of(const std::string& response) {
  size_t at = response.find("\"sid\":\"");
  if (at == std::string::npos) return {};
  at += 7;
  return response.substr(at, response.find('"', at) - at);
}

}  // namespace

TEST(EngineSubmit, AckFromAnotherThreadGoesThroughBelowTheBound) {
  AckServer r(1 << 16);
  WsTestClient c;
  connect(c, r.server->port());
  c.send_text("421[\"ask\"]");
  EXPECT_EQ(c.read_text().value_or(""), "431[\"later\"]");
  EXPECT_EQ(r.server->stats().tasks_refused, 0u);
}

TEST(EngineSubmit, AckFromAnotherThreadAtTheBoundIsRefusedCountedAndLogged) {
  AckServer r(0);
  WsTestClient c;
  connect(c, r.server->port());
  c.send_text("421[\"ask\"]");
  ASSERT_TRUE(eventually(*r.server, [](const roomcast::Stats& s) { return s.tasks_refused == 1; }));
  EXPECT_TRUE(r.log.has("refused ack reply"));
  // The refused reply never reaches the client; the connection itself is untouched, and an
  // ack on the shard's own thread (no queue involved) still arrives, next after nothing.
  c.send_text("422[\"ask_here\"]");
  EXPECT_EQ(c.read_text().value_or(""), "432[\"now\"]");
  EXPECT_EQ(r.server->stats().tasks_refused, 1u);
}

TEST(EngineSubmit, PollingRequestAtTheOwnersBoundIsAnswered503) {
  for (size_t bound : {size_t(1) << 16, size_t(0)}) {
    AckServer r(bound);
    const uint16_t port = r.server->port();
    WsTestClient hs;
    const std::string sid = sid_of(hs.raw_http(port, polling_request("GET", "")));
    ASSERT_FALSE(sid.empty());  // the handshake needs no other shard: it works at any bound
    WsTestClient post;
    const std::string answer = post.raw_http(port, polling_request("POST", "&sid=" + sid, "40"));
    if (bound == 0) {
      EXPECT_NE(answer.find(" 503 "), std::string::npos) << answer;
      EXPECT_EQ(r.server->stats().tasks_refused, 1u);
      EXPECT_TRUE(r.log.has("refused polling POST"));
    } else {
      EXPECT_NE(answer.find(" 200 "), std::string::npos) << answer;
      EXPECT_EQ(r.server->stats().tasks_refused, 0u);
    }
  }
}

// An answer to work the shard already took passes the bound (Submit::Answer): a middleware
// that accepts from another thread still lets the socket in with every queue at its bound,
// where an ack from another thread (new work) is refused.
TEST(EngineSubmit, MiddlewareVerdictFromAnotherThreadPassesTheBound) {
  roomcast::Config cfg = roomcast::testing::quiet_config(2);
  cfg.max_shard_queue = 0;
  roomcast::Server server(cfg);
  server.of("/").use([](roomcast::Socket&, roomcast::Next next) { std::thread([next] { next(); }).join(); });
  server.start();
  WsTestClient c;
  ASSERT_TRUE(c.connect(server.port()));
  c.send_text("40");
  EXPECT_EQ(c.read_text().value_or("").substr(0, 2), "40");  // CONNECT answered: in
  EXPECT_EQ(server.stats().tasks_refused, 0u);
  server.stop();
}
