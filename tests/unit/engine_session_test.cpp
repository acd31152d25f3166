// Engine.IO / Socket.IO session behaviour of a running server over real loopback sockets.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "engine_test_support.h"
#include "roomcast/server.h"
#include "ws_test_client.h"

using roomcast::testing::Running;
using roomcast::testing::WsTestClient;

TEST(EngineSession, OpenPacketHasExactlyTheFiveKeys) {
  roomcast::Config cfg;
  cfg.ping_interval_ms = 1234;
  cfg.ping_timeout_ms = 567;
  Running r(cfg);
  WsTestClient c;
  auto open = c.connect(r.port());
  ASSERT_TRUE(open);
  ASSERT_EQ(open->rfind("0{\"sid\":\"", 0), 0u) << *open;
  size_t sid_end = open->find('"', 9);
  EXPECT_EQ(sid_end - 9, 20u);
  EXPECT_EQ(open->substr(sid_end), "\",\"upgrades\":[],\"pingInterval\":1234,\"pingTimeout\":567,\"maxPayload\":1000000}");
}

TEST(EngineSession, NamespaceMayEndAtEndOfPacketAndIdsDiffer) {
  Running r({}, [](roomcast::Server& s) { s.of("/chat"); });
  WsTestClient c;
  auto open = c.connect(r.port());
  ASSERT_TRUE(open);
  c.send_text("40/chat");
  auto reply = c.read_text();
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->rfind("40/chat,{\"sid\":\"", 0), 0u) << *reply;
  std::string nsp_sid = reply->substr(16, 20);
  EXPECT_EQ(open->find(nsp_sid), std::string::npos) << "namespace id equals the Engine.IO sid";
}

TEST(EngineSession, UnknownNamespaceIsConnectErrorAndConnectionStays) {
  Running r({});
  WsTestClient c;
  ASSERT_TRUE(c.connect(r.port()));
  c.send_text("40/nope,");
  EXPECT_EQ(c.read_text().value_or(""), "44/nope,{\"message\":\"Invalid namespace\"}");
  c.send_text("40");
  auto ok = c.read_text();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->rfind("40{\"sid\":", 0), 0u);
}

TEST(EngineSession, MiddlewareRefusalCarriesMessageAndData) {
  Running r({}, [](roomcast::Server& s) {
    s.of("/private").use([](roomcast::Socket&, roomcast::Next next) {
      std::thread([next] { next.refuse("unauthorized", R"({"reason":"bad token"})"); }).detach();
    });
  });
  WsTestClient c;
  ASSERT_TRUE(c.connect(r.port()));
  c.send_text("40/private,{\"token\":\"x\"}");
  EXPECT_EQ(c.read_text().value_or(""), "44/private,{\"message\":\"unauthorized\",\"data\":{\"reason\":\"bad token\"}}");
}

TEST(EngineSession, FirstPacketNotConnectClosesConnection) {
  Running r({});
  WsTestClient c;
  ASSERT_TRUE(c.connect(r.port()));
  c.send_text("42[\"hello\"]");
  EXPECT_TRUE(c.wait_closed());
  EXPECT_GE(r.server->stats().protocol_errors, 1u);
}

TEST(EngineSession, ReservedEventNameClosesConnection) {
  Running r({});
  WsTestClient c;
  ASSERT_TRUE(c.connect(r.port()));
  c.send_text("40");
  ASSERT_TRUE(c.read_text());
  c.send_text("42[\"disconnecting\"]");
  EXPECT_TRUE(c.wait_closed());
}

TEST(EngineSession, BadProtocolVersionAndWrongPath) {
  Running r({});
  WsTestClient c1, c2;
  std::string v3 = c1.raw_http(r.port(), "GET /socket.io/?EIO=3&transport=websocket HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(v3.find("{\"code\":5,\"message\":\"Unsupported protocol version\"}"), std::string::npos) << v3;
  std::string other = c2.raw_http(r.port(), "GET /elsewhere HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(other.rfind("HTTP/1.1 404 ", 0), 0u) << other;
}

TEST(EngineSession, MissedPongClosesWithinIntervalPlusTimeout) {
  roomcast::Config cfg;
  cfg.ping_interval_ms = 200;
  cfg.ping_timeout_ms = 200;
  Running r(cfg);
  WsTestClient quiet, alive;
  ASSERT_TRUE(quiet.connect(r.port()));
  ASSERT_TRUE(alive.connect(r.port()));
  quiet.send_text("40");
  alive.send_text("40");
  ASSERT_TRUE(quiet.read_text(1000, false));
  ASSERT_TRUE(alive.read_text(1000));
  // The live client answers pings on its own thread for ~1 s (several intervals).
  std::atomic<bool> alive_closed{false};
  std::thread pinger([&] {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1000);
    while (std::chrono::steady_clock::now() < until) {
      alive.read_text(50);
      if (alive.closed_code()) alive_closed = true;
    }
  });
  auto start = std::chrono::steady_clock::now();
  auto ping = quiet.read_text(1000, false);
  ASSERT_EQ(ping.value_or(""), "2");
  EXPECT_TRUE(quiet.wait_closed(1500));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::milliseconds(1000));
  pinger.join();
  EXPECT_FALSE(alive_closed.load());
  EXPECT_FALSE(alive.wait_closed(100));
  EXPECT_EQ(r.server->stats().ping_timeouts, 1u);
}

TEST(EngineSession, NoConnectPacketMeansConnectTimeout) {
  roomcast::Config cfg;
  cfg.connect_timeout_ms = 300;
  Running r(cfg);
  WsTestClient c;
  ASSERT_TRUE(c.connect(r.port()));
  EXPECT_TRUE(c.wait_closed(2000));
  EXPECT_EQ(r.server->stats().connect_timeouts, 1u);
}

TEST(EngineSession, BinaryAttachmentsRoundTrip) {
  Running r({}, [](roomcast::Server& s) {
    s.of("/").on("echo", [](roomcast::Socket& sock, const roomcast::Args& a, roomcast::Ack) {
      sock.emit_args("echo", a.forward(0));
    });
  });
  WsTestClient c;
  ASSERT_TRUE(c.connect(r.port()));
  c.send_text("40");
  ASSERT_TRUE(c.read_text());
  c.send_text("452-[\"echo\",{\"a\":{\"_placeholder\":true,\"num\":0}},{\"_placeholder\":true,\"num\":1}]");
  c.send_binary(std::string("\x00\x01\x02", 3));
  c.send_binary("xyz");
  EXPECT_EQ(c.read_text().value_or(""),
            "452-[\"echo\",{\"a\":{\"_placeholder\":true,\"num\":0}},{\"_placeholder\":true,\"num\":1}]");
  auto b1 = c.read_frame();
  auto b2 = c.read_frame();
  ASSERT_TRUE(b1 && b2);
  EXPECT_EQ(b1->opcode, 2);
  EXPECT_EQ(b1->payload, std::string("\x00\x01\x02", 3));
  EXPECT_EQ(b2->payload, "xyz");
}

TEST(EngineSession, SlowConsumerIsDisconnectedOthersGetEverything) {
  roomcast::Config cfg;
  Running r(cfg, [](roomcast::Server& s) {
    s.of("/").on("join", [](roomcast::Socket& sock, const roomcast::Args& a, roomcast::Ack ack) {
      sock.join(*a.str(0));
      ack("ok");
    });
  });
  WsTestClient slow, healthy;
  for (auto* c : {&slow, &healthy}) {
    ASSERT_TRUE(c->connect(r.port()));
    c->send_text("40");
    ASSERT_TRUE(c->read_text());
    c->send_text("421[\"join\",\"r\"]");
    ASSERT_EQ(c->read_text().value_or(""), "431[\"ok\"]");
  }
  constexpr int kMessages = 8000;  // 8000 x 4 KiB = 32 MiB: far past socket buffers + 256 KiB
  std::string payload(4096, 'x');
  std::atomic<int> received{0};
  std::thread reader([&] {
    while (received < kMessages) {
      auto t = healthy.read_text(5000);
      if (!t) break;
      if (t->rfind("42[\"m\"", 0) == 0) ++received;
    }
  });
  for (int i = 0; i < kMessages; ++i) {
    while (!r.server->of("/").to("r").emit("m", std::string_view(payload), i))
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    // ~32 MB/s: a reading client keeps up with that; the slow one cannot hold 32 MiB.
    if (i % 8 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  reader.join();
  EXPECT_EQ(received.load(), kMessages);
  EXPECT_EQ(r.server->stats().slow_consumer_disconnects, 1u);
  EXPECT_TRUE(slow.wait_closed(3000));
}

TEST(EngineSession, DynamicNamespaceCreatedOnFirstConnect) {
  std::atomic<int> setups{0};
  Running r({}, [&](roomcast::Server& s) {
    s.of_matching([](std::string_view name) { return name.rfind("/room-", 0) == 0; },
                  [&](roomcast::Namespace& ns) {
                    ++setups;
                    ns.on_connection([](roomcast::Socket& sock) { sock.emit("hello", sock.nsp().name()); });
                  });
  });
  WsTestClient a, b;
  for (auto* c : {&a, &b}) {
    ASSERT_TRUE(c->connect(r.port()));
    c->send_text("40/room-7,");
    auto ok = c->read_text();
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->rfind("40/room-7,{\"sid\":", 0), 0u) << *ok;
    EXPECT_EQ(c->read_text().value_or(""), "42/room-7,[\"hello\",\"/room-7\"]");
  }
  EXPECT_EQ(setups.load(), 1);
  a.send_text("40/other,");
  EXPECT_EQ(a.read_text().value_or(""), "44/other,{\"message\":\"Invalid namespace\"}");
}

TEST(EngineSession, ServerAckTimesOutAndAnswerArrives) {
  Running r({}, [](roomcast::Server& s) {
    s.of("/").on("ask", [](roomcast::Socket& sock, const roomcast::Args&, roomcast::Ack) {
      roomcast::Arg q[] = {"q"};
      sock.emit_with_ack("question", q, [](roomcast::Socket& s2, bool timed_out, const roomcast::Args& a) {
        if (timed_out)
          s2.emit("result", "timeout");
        else
          s2.emit_args("result", a.forward());
      }, std::chrono::milliseconds(300));
    });
  });
  WsTestClient c;
  ASSERT_TRUE(c.connect(r.port()));
  c.send_text("40");
  ASSERT_TRUE(c.read_text());
  // Answered: the reply's arguments come back byte for byte.
  c.send_text("42[\"ask\"]");
  auto q1 = c.read_text();
  ASSERT_TRUE(q1);
  ASSERT_EQ(q1->rfind("420[\"question\",\"q\"]", 0), 0u) << *q1;
  c.send_text("430[{\"b\":1,\"a\":2.50}]");
  EXPECT_EQ(c.read_text().value_or(""), "42[\"result\",{\"b\":1,\"a\":2.50}]");
  // Not answered: the callback reports a timeout after ~300 ms.
  c.send_text("42[\"ask\"]");
  auto q2 = c.read_text();
  ASSERT_TRUE(q2);
  EXPECT_EQ(*q2, "421[\"question\",\"q\"]");
  EXPECT_EQ(c.read_text(2000).value_or(""), "42[\"result\",\"timeout\"]");
}

TEST(EngineSession, StopClosesClientsWithGoingAway) {
  auto r = std::make_unique<Running>(roomcast::Config{});
  WsTestClient c;
  ASSERT_TRUE(c.connect(r->port()));
  c.send_text("40");
  ASSERT_TRUE(c.read_text());
  r.reset();  // stop() + wait()
  EXPECT_EQ(c.read_text(1000).value_or(""), "41");  // Socket.IO DISCONNECT first
  EXPECT_FALSE(c.read_text(1000));
  EXPECT_EQ(c.closed_code(), 1001);
}

// The handshake is kept as the raw request head and read on demand: every accessor must
// still see what the client sent, after the request buffer itself is gone.
TEST(EngineSession, HandshakeAccessorsReadTheKeptRequestHead) {
  std::mutex mu;
  std::string url, query, token, host, missing = "unset", address;
  size_t header_count = 0;
  Running r({}, [&](roomcast::Server& s) {
    s.of("/").on_connection([&](roomcast::Socket& sock) {
      const roomcast::Handshake& hs = sock.handshake();
      std::lock_guard lock(mu);
      url = hs.url();
      query = hs.query();
      token = hs.query_param("token").value_or("none");
      host = hs.header("HOST").value_or("none");
      missing = hs.header("x-not-sent").value_or("absent");
      header_count = hs.headers().size();
      address = hs.address;
      sock.emit("ready");
    });
  });
  WsTestClient c;
  ASSERT_TRUE(c.connect(r.port(), "/socket.io/?EIO=4&transport=websocket&token=a%20b"));
  c.send_text("40");
  bool ready = false;
  for (int i = 0; i < 3 && !ready; ++i) {
    auto m = c.read_text();
    ASSERT_TRUE(m);
    ready = m->find("\"ready\"") != std::string::npos;
  }
  ASSERT_TRUE(ready);
  std::lock_guard lock(mu);
  EXPECT_EQ(url, "/socket.io/?EIO=4&transport=websocket&token=a%20b");
  EXPECT_EQ(query, "EIO=4&transport=websocket&token=a%20b");
  EXPECT_EQ(token, "a b");
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(missing, "absent");
  EXPECT_EQ(header_count, 5u);  // Host, Upgrade, Connection, Sec-WebSocket-Key, -Version
  EXPECT_EQ(address, "127.0.0.1");
}

// The shard-wide bound on distinct queued frames (RefSlab): past it frames are dropped and
// counted, the shard keeps serving, and once the backlog is gone delivery resumes.
TEST(EngineSession, FramesPastTheShardBoundAreDroppedAndCounted) {
  roomcast::Config cfg;
  cfg.max_frames_per_shard = 64;
  cfg.max_send_queue_bytes = 64 << 20;  // the per-connection bound must not fire first
  Running r(cfg, [](roomcast::Server& s) {
    s.of("/").on("join", [](roomcast::Socket& sock, const roomcast::Args& a, roomcast::Ack ack) {
      sock.join(*a.str(0));
      ack("ok");
    });
  });
  WsTestClient stuck;
  ASSERT_TRUE(stuck.connect(r.port()));
  stuck.send_text("40");
  ASSERT_TRUE(stuck.read_text());
  stuck.send_text("421[\"join\",\"r\"]");
  ASSERT_EQ(stuck.read_text().value_or(""), "431[\"ok\"]");
  // 2,000 x 16 KiB = 32 MiB: socket buffers take a few MiB, the rest queues on the shard,
  // where at most 64 distinct frames may wait.
  std::string payload(16384, 'x');
  for (int i = 0; i < 2000; ++i) {
    while (!r.server->of("/").to("r").emit("m", std::string_view(payload), i))
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (int i = 0; i < 200 && r.server->stats().frames_dropped == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GT(r.server->stats().frames_dropped, 0u);
  stuck.close_fd();  // frees the backlog

  WsTestClient fresh;
  ASSERT_TRUE(fresh.connect(r.port()));
  fresh.send_text("40");
  ASSERT_TRUE(fresh.read_text());
  fresh.send_text("421[\"join\",\"r\"]");
  ASSERT_EQ(fresh.read_text().value_or(""), "431[\"ok\"]");
  ASSERT_TRUE(r.server->of("/").to("r").emit("after", 1));
  auto m = fresh.read_text();
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, "42[\"after\",1]");
}
