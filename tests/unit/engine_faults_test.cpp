// Faults inside the server: application code that throws, the receive-buffer ring running
// dry, the process out of file descriptors at accept, and connection churn. The shard
// survives each, counts it, and nothing leaks (connections, sockets, room members, fds).
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "engine_test_support.h"
#include "roomcast/server.h"
#include "ws_test_client.h"

using roomcast::testing::WsTestClient;
using roomcast::testing::eventually;
using Clock = std::chrono::steady_clock;
using roomcast::testing::quiet_config;
using roomcast::testing::room_size;

namespace {

void install_echo(roomcast::Server& s) {
  auto& nsp = s.of("/");
  nsp.on("echo", [](roomcast::Socket& sock, const roomcast::Args& a, roomcast::Ack) {
    sock.emit_args("echo", a.forward());
  });
  nsp.on("join", [](roomcast::Socket& sock, const roomcast::Args& a, roomcast::Ack ack) {
    sock.join(*a.str(0));
    ack("ok");
  });
}

bool connect_nsp(WsTestClient& c, uint16_t port) {
  if (!c.connect(port)) return false;
  c.send_text("40");
  auto ok = c.read_text();
  return ok && ok->rfind("40{", 0) == 0;
}

// Descriptors open in this process (not counting the one used to list them).
size_t open_fds() {
  size_t n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') ++n;
    ::closedir(d);
  }
  return n - 1;
}

// The lowest free descriptor number: with RLIMIT_NOFILE set to it, no new fd can be made.
int lowest_free_fd() {
  int fd = ::dup(0);
  ::close(fd);
  return fd;
}
}  // namespace

TEST(EngineFaults, ThrowingApplicationCodeDoesNotKillTheShard) {
  roomcast::Server server(quiet_config());
  install_echo(server);
  auto& nsp = server.of("/");
  nsp.on("boom", [](roomcast::Socket&, const roomcast::Args&, roomcast::Ack) { throw std::runtime_error("boom"); });
  nsp.on("boom42", [](roomcast::Socket&, const roomcast::Args&, roomcast::Ack) { throw 42; });
  nsp.on_connection([](roomcast::Socket& s) {
    s.on_disconnect([](roomcast::Socket&, std::string_view) { throw 7; });
    if (s.auth().find("throw") != std::string::npos) throw "in on_connection";
  });
  server.of("/guarded").use([](roomcast::Socket&, roomcast::Next) { throw 1.5; });
  server.start();

  WsTestClient bystander, c;
  ASSERT_TRUE(connect_nsp(bystander, server.port()));
  ASSERT_TRUE(connect_nsp(c, server.port()));
  c.send_text("42[\"boom\"]");
  c.send_text("42[\"boom42\"]");
  c.send_text("42[\"echo\",1]");
  EXPECT_EQ(c.read_text().value_or(""), "42[\"echo\",1]");  // same connection still served
  c.send_text("40/guarded,");
  EXPECT_EQ(c.read_text().value_or(""), "44/guarded,{\"message\":\"server error\"}");
  WsTestClient t;
  ASSERT_TRUE(t.connect(server.port()));
  t.send_text("40{\"throw\":1}");
  EXPECT_EQ(t.read_text().value_or("").rfind("40{\"sid\":", 0), 0u);  // connected despite the throw
  t.close_fd();  // its disconnect handler throws too
  std::promise<void> cb_ran;
  server.of("/").fetch_sockets([&](std::vector<roomcast::SocketInfo>) {
    cb_ran.set_value();
    throw std::logic_error("in a fetch_sockets callback");
  });
  cb_ran.get_future().wait();
  // boom, boom42, middleware, on_connection, t's disconnect handler, fetch callback.
  EXPECT_TRUE(eventually(server, [](const roomcast::Stats& s) { return s.handler_exceptions == 6; }))
      << server.stats().handler_exceptions;
  bystander.send_text("42[\"echo\",\"still here\"]");
  EXPECT_EQ(bystander.read_text().value_or(""), "42[\"echo\",\"still here\"]");
  server.stop();
  server.wait();
}

TEST(EngineFaults, ReceiveBufferRingRunningDryIsRefilledAndRearmed) {
  auto cfg = quiet_config();
  cfg.recv_buffer_count = 2;   // two 512-byte buffers for everyone: exhausted at once
  cfg.recv_buffer_size = 512;
  roomcast::Server server(cfg);
  install_echo(server);
  server.start();
  constexpr int kClients = 12;
  std::vector<std::unique_ptr<WsTestClient>> cs;
  for (int i = 0; i < kClients; ++i) {
    cs.push_back(std::make_unique<WsTestClient>());
    ASSERT_TRUE(connect_nsp(*cs.back(), server.port()));
  }
  std::vector<std::string> payloads;
  for (int i = 0; i < kClients; ++i) payloads.push_back(std::string(6000 + i, char('a' + i)));
  for (int i = 0; i < kClients; ++i) cs[i]->send_text("42[\"echo\",\"" + payloads[i] + "\"]");
  for (int i = 0; i < kClients; ++i)
    EXPECT_EQ(cs[i]->read_text(5000).value_or("(none)"), "42[\"echo\",\"" + payloads[i] + "\"]") << i;
  EXPECT_GT(server.stats().recv_buffers_exhausted, 0u);
  EXPECT_EQ(server.stats().protocol_errors, 0u);
  server.stop();
  server.wait();
}

TEST(EngineFaults, AcceptKeepsGoingAfterEmfileClears) {
  // io_uring takes the descriptor limit when an accept is prepared, so the limit is lowered
  // before the server starts, and the table is then filled for real.
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &old), 0);
  rlimit tight = old;
  tight.rlim_cur = rlim_t(lowest_free_fd() + 64);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &tight), 0);
  struct Restore {
    rlimit r;
    ~Restore() { ::setrlimit(RLIMIT_NOFILE, &r); }
  } restore{old};

  roomcast::Server server(quiet_config());
  install_echo(server);
  server.start();
  WsTestClient warm;  // the listener works (and the shard's own descriptors exist)
  ASSERT_TRUE(connect_nsp(warm, server.port()));

  constexpr int kPending = 4;
  int pending[kPending];
  for (int& fd : pending) fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  std::vector<int> filler;  // every remaining descriptor number, bounded by the limit above
  for (int fd; (fd = ::dup(0)) >= 0;) filler.push_back(fd);
  ASSERT_EQ(errno, EMFILE);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(server.port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int fd : pending) EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);  // backlog
  EXPECT_TRUE(eventually(server, [](const roomcast::Stats& s) { return s.accept_errors > 0; }, 2000));
  EXPECT_EQ(server.stats().accepted, 1u);
  for (int fd : filler) ::close(fd);
  // The shard re-arms accept on a timer: once descriptors are free, all pending ones get in.
  EXPECT_TRUE(eventually(server, [](const roomcast::Stats& s) { return s.accepted == 1 + kPending; }))
      << server.stats().accepted;
  for (int fd : pending) ::close(fd);
  WsTestClient after;
  EXPECT_TRUE(connect_nsp(after, server.port()));
  server.stop();
  server.wait();
}

TEST(EngineFaults, ChurnLeavesNothingBehind) {
  roomcast::Server server(quiet_config(2));
  install_echo(server);
  server.start();
  WsTestClient steady;  // stays through the churn and keeps getting broadcasts
  ASSERT_TRUE(connect_nsp(steady, server.port()));
  size_t fds_baseline = 0;
  steady.send_text("421[\"join\",\"churn\"]");
  ASSERT_EQ(steady.read_text().value_or(""), "431[\"ok\"]");

  constexpr int kRounds = 6, kPerRound = 50;
  int tick = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::unique_ptr<WsTestClient>> cs;
    for (int i = 0; i < kPerRound; ++i) {
      cs.push_back(std::make_unique<WsTestClient>());
      ASSERT_TRUE(connect_nsp(*cs.back(), server.port()));
      cs.back()->send_text("421[\"join\",\"churn\"]");
      ASSERT_EQ(cs.back()->read_text().value_or(""), "431[\"ok\"]");
    }
    // Leave in different ways: close frame, Engine.IO close, plain TCP close, half a frame.
    for (int i = 0; i < kPerRound; ++i) {
      switch (i % 4) {
        case 0: cs[i]->send_frame(8, std::string("\x03\xE8", 2)); break;
        case 1: cs[i]->send_text("1"); break;
        case 2: break;
        case 3: cs[i]->send_raw(std::string("\x81\x85\x00", 3)); break;
      }
      cs[i]->close_fd();
    }
    ASSERT_TRUE(server.of("/").to("churn").emit("tick", ++tick));
    EXPECT_EQ(steady.read_text().value_or(""), "42[\"tick\"," + std::to_string(tick) + "]");
    // After the first round both shards have accepted and set up everything they keep.
    if (round == 0) fds_baseline = open_fds();
  }
  ASSERT_TRUE(eventually(server, [](const roomcast::Stats& s) { return s.connections == 1 && s.sockets == 1; }))
      << server.stats().connections << " connections, " << server.stats().sockets << " sockets";
  EXPECT_EQ(room_size(server, "churn"), 1u);
  EXPECT_EQ(server.stats().accepted, uint64_t(1 + kRounds * kPerRound));
  // Slots are reused: at most two rounds were ever open at once (one closing, one connecting).
  EXPECT_GE(server.stats().connection_slots, uint64_t(1 + kPerRound));
  EXPECT_LE(server.stats().connection_slots, uint64_t(1 + 2 * kPerRound));
  // Sockets live in the rings' fixed-file tables: churn costs no process descriptors.
  auto until = Clock::now() + std::chrono::seconds(2);  // an accept's transient fd may be in flight
  while (open_fds() != fds_baseline && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(open_fds(), fds_baseline);
  steady.close_fd();
  ASSERT_TRUE(eventually(server, [](const roomcast::Stats& s) { return s.connections == 0 && s.sockets == 0; }));
  EXPECT_EQ(room_size(server, "churn"), 0u);
  server.stop();
  server.wait();
}
