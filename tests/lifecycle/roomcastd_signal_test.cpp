// roomcastd under SIGTERM / SIGINT, as a process: messages published before the signal reach
// the subscriber, then DISCONNECT and close 1001, and the process exits 0. And roomcastd
// --version: one line with the version of the headers it was built with, exit 0.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "roomcast/version.h"
#include "ws_test_client.h"

extern char** environ;

using roomcast::testing::WsTestClient;

namespace {

struct Daemon {
  pid_t pid = -1;
  int out = -1;
  uint16_t port = 0;

  // Starts $ROOMCASTD with `args`, its stdout on `out`.
  bool spawn(const std::vector<std::string>& args) {
    const char* bin = std::getenv("ROOMCASTD");
    if (!bin) return false;
    int fds[2];
    if (::pipe(fds) != 0) return false;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::vector<char*> argv{const_cast<char*>(bin)};
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int rc = posix_spawn(&pid, bin, &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    out = fds[0];
    return rc == 0;
  }
  // Starts roomcastd on a free port and reads the port from its "listening on" line.
  bool start() {
    if (!spawn({"--port", "0", "--shards", "2", "--quiet", "--shutdown-timeout", "3000"})) return false;
    std::string text;
    char buf[512];
    while (text.find('\n') == std::string::npos) {
      ssize_t n = ::read(out, buf, sizeof(buf));
      if (n <= 0) return false;
      text.append(buf, size_t(n));
    }
    size_t p = text.find("127.0.0.1:");
    if (p == std::string::npos) return false;
    port = uint16_t(std::atoi(text.c_str() + p + 10));
    return port != 0;
  }
  // Everything on stdout until roomcastd closes it, or what came within timeout_ms.
  std::string read_all(int timeout_ms) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    std::string text;
    char buf[512];
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      pollfd p{out, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, int(left.count())) <= 0) return text;
      ssize_t n = ::read(out, buf, sizeof(buf));
      if (n <= 0) return text;
      text.append(buf, size_t(n));
    }
  }
  // Exit status, or -1 if it did not exit within the timeout (then it is killed).
  int wait_exit(int timeout_ms) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < until) {
      int st = 0;
      if (::waitpid(pid, &st, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }
  ~Daemon() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    if (out >= 0) ::close(out);
  }
};

void run_case(int sig) {
  Daemon d;
  ASSERT_TRUE(d.start()) << "set ROOMCASTD to the roomcastd binary";
  WsTestClient sub, pub;
  ASSERT_TRUE(sub.connect(d.port));
  sub.send_text("40");
  ASSERT_TRUE(sub.read_text());
  sub.send_text("421[\"join\",\"r\"]");
  ASSERT_EQ(sub.read_text().value_or(""), "431[\"ok\"]");
  ASSERT_TRUE(pub.connect(d.port));
  pub.send_text("40");
  ASSERT_TRUE(pub.read_text());
  constexpr int kMessages = 500;
  const std::string pad(256, 'x');
  for (int i = 0; i < kMessages; ++i)
    pub.send_text("42[\"publish\",\"r\"," + std::to_string(i) + ",\"" + pad + "\"]");
  // Packets of one connection are handled in order: once this ack is back, every publish
  // above has been emitted. The subscriber has not read any of it yet.
  pub.send_text("427[\"rooms\"]");
  auto ack = pub.read_text();
  ASSERT_TRUE(ack && ack->rfind("437[", 0) == 0) << ack.value_or("(none)");
  ASSERT_EQ(::kill(d.pid, sig), 0);

  int next = 0;
  bool disconnected = false;
  while (auto t = sub.read_text(5000, false)) {
    if (*t == "41") {
      disconnected = true;
    } else if (t->rfind("42[\"message\",", 0) == 0) {
      EXPECT_FALSE(disconnected) << "message after DISCONNECT";
      EXPECT_EQ(*t, "42[\"message\"," + std::to_string(next) + ",\"" + pad + "\"]");
      ++next;
    }
  }
  EXPECT_EQ(next, kMessages);
  EXPECT_TRUE(disconnected);
  EXPECT_EQ(sub.closed_code(), 1001);
  EXPECT_EQ(d.wait_exit(6000), 0);
}

TEST(RoomcastdSignal, SigtermDeliversQueuedMessagesThenExitsZero) { run_case(SIGTERM); }
TEST(RoomcastdSignal, SigintDeliversQueuedMessagesThenExitsZero) { run_case(SIGINT); }

TEST(RoomcastdVersion, PrintsTheHeadersVersionAndExitsZero) {
  // The string and the numbers of version.h come from one project(VERSION); they must agree.
  const std::string numbers = std::to_string(ROOMCAST_VERSION_MAJOR) + "." + std::to_string(ROOMCAST_VERSION_MINOR) +
                              "." + std::to_string(ROOMCAST_VERSION_PATCH);
  EXPECT_EQ(numbers, ROOMCAST_VERSION_STRING);
  Daemon d;
  ASSERT_TRUE(d.spawn({"--version"})) << "set ROOMCASTD to the roomcastd binary";
  EXPECT_EQ(d.read_all(5000), "roomcastd " + numbers + "\n");
  EXPECT_EQ(d.wait_exit(5000), 0);
}

}  // namespace
