// Heartbeat and timeouts on the wire, to the millisecond, over both transports, with the
// timings the Engine.IO/Socket.IO protocol documents use for testing (pingInterval 300 ms,
// pingTimeout 200 ms, connectTimeout 1000 ms) on 2 shards:
//   - the first ping pingInterval after the open packet; each next one pingInterval after the
//     previous pong;
//   - no pong: the session ends pingTimeout after the ping (WebSocket: the close; polling: a
//     request after the deadline gets 400 "Session ID unknown", one just before it 200);
//   - no CONNECT: the connection closes connectTimeout after the open packet.
// What the client sees can only be later than what the server did (loopback and scheduling
// add), so every time is checked against "never early" (1 ms of clock rounding) and "not
// later than kSlackMs". kSlackMs defaults to 25 ms because CI shares its two cores with
// other builds; ROOMCAST_TIMING_SLACK_MS=5 is the idle-machine criterion (issue 13). The
// coarse 50 ms wheel this replaced was 16-57 ms late and fails both. Measured offsets are
// printed, so a run shows how close it came.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "engine_test_support.h"
#include "polling_test_client.h"
#include "roomcast/server.h"
#include "ws_test_client.h"

using Clock = std::chrono::steady_clock;
using roomcast::testing::http;
using roomcast::testing::kBase;
using roomcast::testing::Reply;
using roomcast::testing::Running;
using roomcast::testing::WsTestClient;

namespace {

constexpr int kInterval = 300, kTimeout = 200, kConnect = 1000;

int slack_ms() {
  const char* v = std::getenv("ROOMCAST_TIMING_SLACK_MS");
  return v ? std::atoi(v) : 25;
}

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// The server's starting event (an open packet sent, a pong read) happened at a moment the
// client only brackets: not before `before` (the client had not yet sent what caused it),
// not after `after` (the client had seen it, or had sent its cause). The timed event was seen
// `want` ms later at `seen`: never early counted from `before`, at most the slack late counted
// from `after`. Bracketing keeps the check honest when the client itself is descheduled.
struct Since {
  Clock::time_point before, after;
};

void expect_on_time(const char* what, Since base, Clock::time_point seen, int want) {
  const double lo = ms_between(base.after, seen), hi = ms_between(base.before, seen);
  std::printf("timing: %-40s want %5d ms, got %8.2f..%8.2f ms\n", what, want, lo, hi);
  EXPECT_GE(hi, want - 1.0) << what << ": early";
  EXPECT_LE(lo, want + slack_ms()) << what << ": late";
}

// The protocol documents' test timings, on 2 shards.
roomcast::Config timing_config() {
  roomcast::Config cfg;
  cfg.shards = 2;
  cfg.ping_interval_ms = kInterval;
  cfg.ping_timeout_ms = kTimeout;
  cfg.connect_timeout_ms = kConnect;
  return cfg;
}

}  // namespace

TEST(HeartbeatTiming, WebSocketPingsPongsAndThePingTimeout) {
  Running r(timing_config());
  WsTestClient c;
  const auto t_req = Clock::now();
  ASSERT_TRUE(c.connect(r.port()).has_value());
  const auto t_open = Clock::now();
  ASSERT_TRUE(c.send_text("40"));
  ASSERT_EQ(c.read_text(1000, false).value_or("").rfind("40{", 0), 0u);
  ASSERT_EQ(c.read_text(2000, false).value_or(""), "2");
  expect_on_time("websocket: first ping after open", {t_req, t_open}, Clock::now(), kInterval);
  Clock::time_point t_pong{};
  for (int i = 0; i < 3; ++i) {
    t_pong = Clock::now();
    ASSERT_TRUE(c.send_text("3"));
    ASSERT_EQ(c.read_text(2000, false).value_or(""), "2");
    expect_on_time("websocket: next ping after pong", {t_pong, t_pong}, Clock::now(), kInterval);
  }
  // The last ping goes unanswered: the close comes pingTimeout after it. It was sent no
  // earlier than pingInterval after the last pong (checked above), and seen now.
  const auto t_ping = Clock::now();
  EXPECT_FALSE(c.read_text(2000, false).has_value());
  expect_on_time("websocket: close after unanswered ping", {t_pong + std::chrono::milliseconds(kInterval), t_ping},
                 Clock::now(), kTimeout);
}

TEST(HeartbeatTiming, WebSocketConnectTimeout) {
  Running r(timing_config());
  WsTestClient c;
  const auto t_req = Clock::now();
  ASSERT_TRUE(c.connect(r.port()).has_value());
  const auto t_open = Clock::now();
  // Pings are answered (so only the connect timeout can end it) but no CONNECT comes.
  EXPECT_FALSE(c.read_text(3000, true).has_value());
  expect_on_time("websocket: close without CONNECT", {t_req, t_open}, Clock::now(), kConnect);
}

TEST(HeartbeatTiming, PollingPingsPongsAndThePingTimeout) {
  Running r(timing_config());
  const auto t_req = Clock::now();
  Reply h = http(r.port(), "GET", kBase);
  const auto t_open = Clock::now();
  ASSERT_EQ(h.status, 200);
  ASSERT_EQ(h.body.rfind("0{\"sid\":\"", 0), 0u);
  const std::string q = kBase + "&sid=" + h.body.substr(9, 20);
  ASSERT_EQ(http(r.port(), "POST", q, "40").body, "ok");
  ASSERT_EQ(http(r.port(), "GET", q).body.rfind("40{", 0), 0u);
  Reply ping = http(r.port(), "GET", q);  // held until the ping
  ASSERT_EQ(ping.body, "2");
  expect_on_time("polling: first ping after open", {t_req, t_open}, Clock::now(), kInterval);
  Clock::time_point t_pong{};
  for (int i = 0; i < 2; ++i) {
    t_pong = Clock::now();
    ASSERT_EQ(http(r.port(), "POST", q, "3").body, "ok");
    const auto t_ok = Clock::now();
    Reply next = http(r.port(), "GET", q);
    ASSERT_EQ(next.body, "2");
    expect_on_time("polling: next ping after pong", {t_pong, t_ok}, Clock::now(), kInterval);
  }
  // Unanswered. The ping was queued no earlier than pingInterval after the last pong and no
  // later than the GET that carried it returned: a request shortly before the earliest
  // deadline still finds the session, one after the latest does not.
  const auto t_ping = Clock::now();
  const auto earliest = t_pong + std::chrono::milliseconds(kInterval + kTimeout);
  std::this_thread::sleep_until(earliest - std::chrono::milliseconds(40));
  Reply alive = http(r.port(), "POST", q, "42[\"probe\"]");  // an event: not a pong
  EXPECT_EQ(alive.status, 200) << "session gone before its deadline";
  std::this_thread::sleep_until(t_ping + std::chrono::milliseconds(kTimeout + slack_ms()));
  Reply gone = http(r.port(), "GET", q);
  EXPECT_EQ(gone.status, 400) << "session alive " << kTimeout + slack_ms() << " ms after the ping";
  EXPECT_NE(gone.body.find("Session ID unknown"), std::string::npos) << gone.body;
}

TEST(HeartbeatTiming, PollingConnectTimeout) {
  Running r(timing_config());
  const auto t_req = Clock::now();
  Reply h = http(r.port(), "GET", kBase);
  const auto t_open = Clock::now();
  ASSERT_EQ(h.status, 200);
  const std::string q = kBase + "&sid=" + h.body.substr(9, 20);
  // Poll (answering pings) until the session is closed: the GET then carries the close ("1")
  // or the next request finds no session.
  bool closed = false;
  for (int i = 0; i < 20 && !closed; ++i) {
    Reply g = http(r.port(), "GET", q, "", 3000);
    if (g.status != 200 || g.body.find('1') == 0) {
      closed = true;
      break;
    }
    if (g.body == "2") ASSERT_EQ(http(r.port(), "POST", q, "3").body, "ok");
  }
  ASSERT_TRUE(closed) << "never closed";
  expect_on_time("polling: close without CONNECT", {t_req, t_open}, Clock::now(), kConnect);
}
