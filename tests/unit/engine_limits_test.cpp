// Connection limits and timeouts: refusals are a 503 with a body (counted), slots come back,
// a slowloris is cut at the handshake deadline, a silent client at the connect timeout, and
// a stopped client process (no FIN, no pong) at pingInterval + pingTimeout with its rooms
// cleaned.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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
using Clock = std::chrono::steady_clock;
using roomcast::testing::on_join;
using roomcast::testing::quiet_config;
using roomcast::testing::room_size;

namespace {

struct Running {
  explicit Running(roomcast::Config cfg) {
    server = std::make_unique<roomcast::Server>(cfg);
    auto& nsp = server->of("/");
    on_join(nsp);
    server->start();
  }
  ~Running() {
    server->stop();
    server->wait();
  }
  uint16_t port() const { return server->port(); }
  // Waits (bounded) until `pred(stats)` holds.
  template <class P>
  bool eventually(P pred, int ms = 2000) {
    auto until = Clock::now() + std::chrono::milliseconds(ms);
    while (Clock::now() < until) {
      if (pred(server->stats())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred(server->stats());
  }
  size_t room_size(const std::string& room) { return roomcast::testing::room_size(*server, room); }
  std::unique_ptr<roomcast::Server> server;
};

const std::string kUpgrade =
    "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

void expect_503(uint16_t port, const char* body) {
  WsTestClient c;
  std::string resp = c.raw_http(port, kUpgrade);
  EXPECT_EQ(resp.rfind("HTTP/1.1 503 ", 0), 0u) << resp;
  EXPECT_NE(resp.find("\r\nRetry-After: 5\r\n"), std::string::npos) << resp;
  EXPECT_EQ(resp.substr(resp.find("\r\n\r\n") + 4), body);
}

}  // namespace

TEST(EngineLimits, GlobalLimitRefusesWith503AndFreesOnClose) {
  auto cfg = quiet_config(2);
  cfg.max_connections = 3;
  Running r(cfg);
  std::vector<std::unique_ptr<WsTestClient>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<WsTestClient>());
    ASSERT_TRUE(held.back()->connect(r.port()));
  }
  expect_503(r.port(), "Too many connections\n");
  expect_503(r.port(), "Too many connections\n");
  EXPECT_EQ(r.server->stats().refused_max_connections, 2u);
  held[0]->close_fd();  // one leaves: room for one more
  ASSERT_TRUE(r.eventually([](const roomcast::Stats& s) { return s.connections == 2; }));
  WsTestClient again;
  EXPECT_TRUE(again.connect(r.port()));
  expect_503(r.port(), "Too many connections\n");
  EXPECT_EQ(r.server->stats().refused_max_connections, 3u);
}

TEST(EngineLimits, PerShardLimitAnswers503Too) {
  auto cfg = quiet_config(1);
  cfg.max_connections_per_shard = 2;
  Running r(cfg);
  WsTestClient a, b;
  ASSERT_TRUE(a.connect(r.port()));
  ASSERT_TRUE(b.connect(r.port()));
  expect_503(r.port(), "Too many connections\n");
  EXPECT_EQ(r.server->stats().refused_max_connections, 1u);
  EXPECT_EQ(r.server->stats().refused_full, 0u);  // answered, not dropped
}

TEST(EngineLimits, PerAddressLimit) {
  auto cfg = quiet_config(2);
  cfg.max_connections_per_address = 2;
  Running r(cfg);
  WsTestClient a, b;
  ASSERT_TRUE(a.connect(r.port()));
  ASSERT_TRUE(b.connect(r.port()));
  expect_503(r.port(), "Too many connections from this address\n");
  EXPECT_EQ(r.server->stats().refused_per_address, 1u);
  b.close_fd();
  ASSERT_TRUE(r.eventually([](const roomcast::Stats& s) { return s.connections == 1; }));
  WsTestClient c;
  EXPECT_TRUE(c.connect(r.port()));
}

TEST(EngineLimits, SlowlorisTricklingBytesIsCutAtTheHandshakeDeadline) {
  auto cfg = quiet_config();
  cfg.handshake_timeout_ms = 400;
  Running r(cfg);
  // One byte every 50 ms: progress, but the deadline runs from accept, not from the last byte.
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(r.port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  auto t0 = Clock::now();
  bool closed = false;
  for (size_t i = 0; i < kUpgrade.size() - 1 && Clock::now() - t0 < std::chrono::seconds(3); ++i) {
    if (::send(fd, &kUpgrade[i], 1, MSG_NOSIGNAL) != 1) {
      closed = true;
      break;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) > 0) {
      char b;
      if (::recv(fd, &b, 1, 0) <= 0) {
        closed = true;
        break;
      }
    }
  }
  auto took = Clock::now() - t0;
  ::close(fd);
  EXPECT_TRUE(closed);
  EXPECT_GE(took, std::chrono::milliseconds(350));
  EXPECT_LT(took, std::chrono::milliseconds(1500));
  EXPECT_EQ(r.server->stats().fault(roomcast::Fault::HandshakeTimeout), 1u);
}

TEST(EngineLimits, ConnectTimeoutDefaultIsSocketIos) {
  EXPECT_EQ(roomcast::Config{}.connect_timeout_ms, 45000u);
}

// A client process that is stopped (SIGSTOP) sends neither FIN nor pong: the heartbeat finds
// it within pingInterval + pingTimeout (+ one 50 ms timer tick), and its rooms are cleaned.
TEST(EngineLimits, StoppedClientProcessIsDetectedByHeartbeatAndRoomsCleaned) {
  int to_child[2], from_child[2];
  ASSERT_EQ(::pipe(to_child), 0);
  ASSERT_EQ(::pipe(from_child), 0);
  // Forked before the server's threads exist, so the child may use the test client freely.
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    uint16_t port = 0;
    if (::read(to_child[0], &port, sizeof(port)) != sizeof(port)) ::_exit(2);
    WsTestClient c;
    if (!c.connect(port)) ::_exit(3);
    c.send_text("40");
    if (!c.read_text()) ::_exit(4);
    c.send_text("421[\"join\",\"lobby\"]");
    if (c.read_text().value_or("") != "431[\"ok\"]") ::_exit(5);
    char ok = 1;
    if (::write(from_child[1], &ok, 1) != 1) ::_exit(6);
    ::raise(SIGSTOP);
    ::_exit(0);
  }
  auto cfg = quiet_config();
  cfg.ping_interval_ms = 300;
  cfg.ping_timeout_ms = 300;
  Running r(cfg);
  uint16_t port = r.port();
  ASSERT_EQ(::write(to_child[1], &port, sizeof(port)), ssize_t(sizeof(port)));
  char ok = 0;
  ASSERT_EQ(::read(from_child[0], &ok, 1), 1);
  int st = 0;
  ASSERT_EQ(::waitpid(pid, &st, WUNTRACED), pid);
  ASSERT_TRUE(WIFSTOPPED(st));
  auto stopped_at = Clock::now();
  EXPECT_EQ(r.room_size("lobby"), 1u);
  ASSERT_TRUE(r.eventually([](const roomcast::Stats& s) { return s.ping_timeouts == 1; }, 3000));
  auto detected = Clock::now() - stopped_at;
  EXPECT_LE(detected, std::chrono::milliseconds(300 + 300 + 50 + 200));
  EXPECT_EQ(r.room_size("lobby"), 0u);
  EXPECT_EQ(r.server->stats().sockets, 0u);
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &st, 0);
  for (int fd : {to_child[0], to_child[1], from_child[0], from_child[1]}) ::close(fd);
}
