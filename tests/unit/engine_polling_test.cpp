// Long-polling sessions of a running server over real loopback sockets: routing between
// shards, exact heartbeat deadlines, upgrade timeout, the 400 cases.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "roomcast/server.h"
#include "engine_test_support.h"
#include "polling_test_client.h"
#include "ws_test_client.h"

using Clock = std::chrono::steady_clock;
using roomcast::testing::WsTestClient;
using roomcast::testing::Reply;
using roomcast::testing::http;
using roomcast::testing::handshake;
using roomcast::testing::kBase;

namespace {

// Every test's server has the "echo" handler on "/".
struct Running : roomcast::testing::Running {
  explicit Running(roomcast::Config cfg)
      : roomcast::testing::Running(std::move(cfg), [](roomcast::Server& s) {
          s.of("/").on("echo", [](roomcast::Socket& so, const roomcast::Args& a, roomcast::Ack) {
            so.emit_args("echo", a.forward());
          });
        }) {}
};

}  // namespace

TEST(EnginePolling, HandshakeOffersTheUpgradeWithConfiguredTimings) {
  roomcast::Config cfg;
  cfg.ping_interval_ms = 1234;
  cfg.ping_timeout_ms = 567;
  Running r(cfg);
  Reply h = http(r.port(), "GET", kBase);
  ASSERT_EQ(h.status, 200);
  ASSERT_EQ(h.body.rfind("0{\"sid\":\"", 0), 0u) << h.body;
  EXPECT_EQ(h.body.substr(29), "\",\"upgrades\":[\"websocket\"],\"pingInterval\":1234,\"pingTimeout\":567,\"maxPayload\":1000000}");
}

TEST(EnginePolling, EveryRequestReachesTheOwningShard) {
  roomcast::Config cfg;
  cfg.shards = 4;
  Running r(cfg);
  // Each request is a new TCP connection, so with four shards most land on a shard that
  // does not own the session; all must still work.
  for (int i = 0; i < 8; ++i) {
    std::string sid = handshake(r.port());
    ASSERT_EQ(sid.size(), 20u);
    ASSERT_EQ(http(r.port(), "POST", kBase + "&sid=" + sid, "40").body, "ok");
    ASSERT_EQ(http(r.port(), "GET", kBase + "&sid=" + sid).body.rfind("40{\"sid\":", 0), 0u);
    ASSERT_EQ(http(r.port(), "POST", kBase + "&sid=" + sid, "42[\"echo\",1]\x1e" "42[\"echo\",2]").body, "ok");
    std::string got;
    for (int k = 0; k < 2 && got.size() < 25; ++k) {
      Reply g = http(r.port(), "GET", kBase + "&sid=" + sid);
      ASSERT_EQ(g.status, 200);
      got += (got.empty() ? "" : "\x1e") + g.body;
    }
    EXPECT_EQ(got, "42[\"echo\",1]\x1e" "42[\"echo\",2]");
  }
}

TEST(EnginePolling, BadRequestsGetEngineIoErrors) {
  Running r({});
  auto is_error = [](const Reply& x, int code, const std::string& msg) {
    return x.status == 400 && x.body == "{\"code\":" + std::to_string(code) + ",\"message\":\"" + msg + "\"}";
  };
  EXPECT_TRUE(is_error(http(r.port(), "GET", "/socket.io/?EIO=4&transport=smoke"), 0, "Transport unknown"));
  EXPECT_TRUE(is_error(http(r.port(), "GET", kBase + "&sid=AAAAAAAAAAAAAAAAAAAA"), 1, "Session ID unknown"));
  EXPECT_TRUE(is_error(http(r.port(), "GET", kBase + "&sid=short"), 1, "Session ID unknown"));
  EXPECT_TRUE(is_error(http(r.port(), "POST", kBase, "40"), 2, "Bad handshake method"));
  EXPECT_TRUE(is_error(http(r.port(), "GET", "/socket.io/?EIO=3&transport=polling"), 5, "Unsupported protocol version"));
  std::string sid = handshake(r.port());
  ASSERT_FALSE(sid.empty());
  // A payload the reference decoder rejects closes the session; the POST itself is ok.
  EXPECT_EQ(http(r.port(), "POST", kBase + "&sid=" + sid, "9oops").body, "ok");
  EXPECT_TRUE(is_error(http(r.port(), "GET", kBase + "&sid=" + sid), 1, "Session ID unknown"));
}

TEST(EnginePolling, MissedPongEndsTheSessionAtTheDeadlineExactly) {
  roomcast::Config cfg;
  cfg.ping_interval_ms = 300;
  cfg.ping_timeout_ms = 400;
  Running r(cfg);
  std::string sid = handshake(r.port());
  ASSERT_FALSE(sid.empty());
  Reply ping = http(r.port(), "GET", kBase + "&sid=" + sid);  // held until the ping
  auto t_ping = Clock::now();
  ASSERT_EQ(ping.body, "2");
  std::this_thread::sleep_until(t_ping + std::chrono::milliseconds(300));
  EXPECT_EQ(http(r.port(), "POST", kBase + "&sid=" + sid, "42[\"x\"]").body, "ok") << "alive before the deadline";
  std::this_thread::sleep_until(t_ping + std::chrono::milliseconds(410));
  EXPECT_EQ(http(r.port(), "POST", kBase + "&sid=" + sid, "42[\"x\"]").status, 400) << "gone right after it";
}

TEST(EnginePolling, PongKeepsTheSessionAlive) {
  roomcast::Config cfg;
  cfg.ping_interval_ms = 200;
  cfg.ping_timeout_ms = 200;
  Running r(cfg);
  std::string sid = handshake(r.port());
  ASSERT_FALSE(sid.empty());
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(http(r.port(), "GET", kBase + "&sid=" + sid).body, "2");
    ASSERT_EQ(http(r.port(), "POST", kBase + "&sid=" + sid, "3").body, "ok");
  }
}

TEST(EnginePolling, ConnectTimeoutAppliesToPollingSessions) {
  roomcast::Config cfg;
  cfg.connect_timeout_ms = 300;
  Running r(cfg);
  std::string sid = handshake(r.port());
  ASSERT_FALSE(sid.empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(320));
  EXPECT_EQ(http(r.port(), "GET", kBase + "&sid=" + sid).status, 400);
}

TEST(EnginePolling, UnfinishedUpgradeIsClosedAfterTheUpgradeTimeoutAndPollingGoesOn) {
  roomcast::Config cfg;
  cfg.upgrade_timeout_ms = 300;
  cfg.shards = 2;
  Running r(cfg);
  std::string sid = handshake(r.port());
  ASSERT_FALSE(sid.empty());
  ASSERT_EQ(http(r.port(), "POST", kBase + "&sid=" + sid, "40").body, "ok");
  WsTestClient ws;
  auto t0 = Clock::now();
  std::string resp = ws.raw_http(r.port(),
      "GET /socket.io/?EIO=4&transport=websocket&sid=" + sid + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  EXPECT_EQ(resp.rfind("HTTP/1.1 101 ", 0), 0u) << resp;
  EXPECT_GE(took, 280);
  EXPECT_LT(took, 1500);
  EXPECT_EQ(http(r.port(), "GET", kBase + "&sid=" + sid).body.rfind("40{", 0), 0u);
}

TEST(EnginePolling, CorsPreflightListedOriginsAndRefusals) {
  roomcast::Config cfg;
  cfg.cors_origins = {"http://app.test"};
  cfg.cors_credentials = true;
  Running r(cfg);
  WsTestClient pre, ok, evil, evil_ws, same;
  std::string p = pre.raw_http(r.port(), "OPTIONS " + kBase + " HTTP/1.1\r\nHost: h\r\nConnection: close\r\nOrigin: http://app.test\r\n"
                                         "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n\r\n");
  EXPECT_EQ(p.rfind("HTTP/1.1 204 ", 0), 0u) << p;
  EXPECT_NE(p.find("\r\nAccess-Control-Allow-Origin: http://app.test\r\n"), std::string::npos) << p;
  EXPECT_NE(p.find("\r\nAccess-Control-Allow-Credentials: true\r\n"), std::string::npos) << p;
  EXPECT_NE(p.find("\r\nAccess-Control-Allow-Headers: content-type\r\n"), std::string::npos) << p;
  std::string g = ok.raw_http(r.port(), "GET " + kBase + " HTTP/1.1\r\nHost: h\r\nConnection: close\r\nOrigin: http://app.test\r\n\r\n");
  EXPECT_EQ(g.rfind("HTTP/1.1 200 ", 0), 0u) << g;
  EXPECT_NE(g.find("\r\nAccess-Control-Allow-Origin: http://app.test\r\n"), std::string::npos) << g;
  std::string e = evil.raw_http(r.port(), "GET " + kBase + " HTTP/1.1\r\nHost: h\r\nConnection: close\r\nOrigin: http://evil.test\r\n\r\n");
  EXPECT_EQ(e.rfind("HTTP/1.1 403 ", 0), 0u) << e;
  EXPECT_NE(e.find("{\"code\":4,\"message\":\"Forbidden\"}"), std::string::npos) << e;
  std::string w = evil_ws.raw_http(r.port(),
      "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: h\r\nOrigin: http://evil.test\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  EXPECT_EQ(w.rfind("HTTP/1.1 403 ", 0), 0u) << w;
  std::string s = same.raw_http(r.port(), "GET " + kBase + " HTTP/1.1\r\nHost: h:1\r\nConnection: close\r\nOrigin: http://h:1\r\n\r\n");
  EXPECT_EQ(s.rfind("HTTP/1.1 200 ", 0), 0u) << s;
  EXPECT_EQ(s.find("Access-Control"), std::string::npos) << s;
}

TEST(EnginePolling, OptionsWithoutCorsIsABadHandshakeMethod) {
  Running r({});
  EXPECT_EQ(http(r.port(), "OPTIONS", kBase).body, "{\"code\":2,\"message\":\"Bad handshake method\"}");
}

TEST(EnginePolling, PermessageDeflateIsDeclined) {
  Running r({});
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(r.port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  std::string req = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";
  ASSERT_EQ(::write(fd, req.data(), req.size()), ssize_t(req.size()));
  std::string in;
  char buf[2048];
  while (in.find("\r\n\r\n") == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    ASSERT_GT(::poll(&p, 1, 3000), 0);
    ssize_t n = ::read(fd, buf, sizeof(buf));
    ASSERT_GT(n, 0);
    in.append(buf, size_t(n));
  }
  ::close(fd);
  EXPECT_EQ(in.rfind("HTTP/1.1 101 ", 0), 0u) << in;
  EXPECT_EQ(in.find("Sec-WebSocket-Extensions"), std::string::npos) << in;
  // The open packet follows uncompressed: a plain text frame (RSV1 clear).
  size_t body = in.find("\r\n\r\n") + 4;
  if (body < in.size()) EXPECT_EQ(uint8_t(in[body]), 0x81);
}

TEST(EnginePolling, BoundsHaveNamedOutcomes) {
  roomcast::Config cfg;
  cfg.max_payload = 100;
  cfg.max_connections_per_shard = 4;
  Running r(cfg);
  std::string sid = handshake(r.port());
  ASSERT_FALSE(sid.empty());
  // A body over maxPayload: 413, as the reference answers.
  EXPECT_EQ(http(r.port(), "POST", kBase + "&sid=" + sid, std::string(101, '4')).status, 413);
  // Bytes beyond one more request while a GET is held: the connection is dropped.
  {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(r.port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    std::string held = "GET " + kBase + "&sid=" + sid + " HTTP/1.1\r\nHost: h\r\n\r\n";
    ASSERT_EQ(::write(fd, held.data(), held.size()), ssize_t(held.size()));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::string junk(20000, 'x');
    (void)!::write(fd, junk.data(), junk.size());
    pollfd p{fd, POLLIN, 0};
    bool closed = false;
    for (int i = 0; i < 30 && !closed; ++i) {
      char buf[256];
      if (::poll(&p, 1, 100) > 0 && ::read(fd, buf, sizeof(buf)) <= 0) closed = true;
    }
    ::close(fd);
    EXPECT_TRUE(closed) << "connection kept despite the overflow";
  }
  // Polling sessions take connection slots: beyond the bound, 503.
  int refused = 0;
  for (int i = 0; i < 6; ++i) refused += http(r.port(), "GET", kBase).status == 503;
  EXPECT_GT(refused, 0);
  EXPECT_GT(r.server->stats().refused_full, 0u);
}
