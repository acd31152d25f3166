// Broadcasts with acknowledgements (Broadcast::emit_with_ack) across two shards: one ack id
// and one frame for all members, answers gathered on the emitting shard; timeouts with the
// answers that came, members leaving before they answer, and the bound on waiting
// broadcasts. Runs under ThreadSanitizer in CI.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <set>
#include <thread>

#include "engine_test_support.h"
#include "roomcast/server.h"
#include "ws_test_client.h"

using roomcast::testing::WsTestClient;
using Clock = std::chrono::steady_clock;
using roomcast::testing::on_join;
using roomcast::testing::quiet_config;

namespace {

constexpr int kMembers = 16;  // both shards get some: p(all on one) = 2^-15

struct Result {
  bool timed_out = false;
  std::vector<std::string> answers;  // each client's ack arguments as a JSON array
  Clock::time_point at;
};

struct Cluster {
  Cluster() {
    roomcast::Config cfg = quiet_config(2);
    server = std::make_unique<roomcast::Server>(cfg);
    auto& nsp = server->of("/");
    on_join(nsp);
    // From a handler: the group lives on this shard, the summary goes back to the asker.
    nsp.on("ask_all", [](roomcast::Socket& s, const roomcast::Args&, roomcast::Ack) {
      const std::string asker = s.id();
      auto& nsp = s.nsp();
      roomcast::Arg q[] = {roomcast::Arg("from-handler")};
      nsp.to("r").emit_with_ack("q", q, [&nsp, asker](bool timed_out, std::vector<roomcast::Args> r) {
        nsp.to(asker).emit("summary", timed_out, int64_t(r.size()));
      }, std::chrono::seconds(5));
    });
    server->start();
  }
  ~Cluster() {
    server->stop();
    server->wait();
  }

  void add_members(int n) {
    for (int i = 0; i < n; ++i) {
      members.push_back(std::make_unique<WsTestClient>());
      WsTestClient& c = *members.back();
      ASSERT_TRUE(c.connect(server->port()));
      c.send_text("40");
      auto ok = c.read_text();
      ASSERT_TRUE(ok && ok->rfind("40{\"sid\":", 0) == 0);
      c.send_text("421[\"join\",\"r\"]");
      ASSERT_EQ(c.read_text().value_or(""), "431[\"ok\"]");
    }
    std::promise<std::vector<roomcast::SocketInfo>> fetched;
    server->of("/").in("r").fetch_sockets([&](std::vector<roomcast::SocketInfo> v) { fetched.set_value(std::move(v)); });
    std::set<unsigned> shards;
    for (auto& i : fetched.get_future().get()) shards.insert(i.shard);
    ASSERT_EQ(shards.size(), 2u) << "all members landed on one shard";
  }

  // Emits from this (non-shard) thread; the result comes through the future.
  std::future<Result> ask(std::chrono::milliseconds timeout, bool* accepted = nullptr) {
    auto done = std::make_shared<std::promise<Result>>();
    roomcast::Arg args[] = {roomcast::Arg("hello"), roomcast::Arg(int64_t(7))};
    const bool ok = server->of("/").to("r").emit_with_ack("q", args, [done](bool timed_out, std::vector<roomcast::Args> r) {
      Result res{timed_out, {}, Clock::now()};
      for (auto& a : r) {
        std::string arr = "[";
        for (size_t i = 0; i < a.size(); ++i) arr += (i ? "," : "") + std::string(a.raw(i));
        res.answers.push_back(arr + "]");
      }
      std::sort(res.answers.begin(), res.answers.end());
      done->set_value(std::move(res));
    }, timeout);
    if (accepted) *accepted = ok;
    return done->get_future();
  }

  std::unique_ptr<roomcast::Server> server;
  std::vector<std::unique_ptr<WsTestClient>> members;
};

// Reads `42<id>["q",...]` and returns the ack id (0 if the frame is something else).
uint64_t read_question(WsTestClient& c, std::string* args = nullptr) {
  auto t = c.read_text(3000);
  if (!t || t->rfind("42", 0) != 0) return 0;
  size_t end = t->find('[');
  if (end == 2 || end == std::string::npos) return 0;
  if (args) *args = t->substr(end);
  return std::stoull(t->substr(2, end - 2));
}

}  // namespace

TEST(EngineBroadcastAck, EveryMemberAnswersAcrossShards) {
  Cluster c;
  c.add_members(kMembers);
  const auto t0 = Clock::now();
  auto result = c.ask(std::chrono::seconds(5));
  std::set<uint64_t> ids;
  std::vector<std::string> expected;
  for (int i = 0; i < kMembers; ++i) {
    std::string args;
    const uint64_t id = read_question(*c.members[i], &args);
    ASSERT_NE(id, 0u) << "member " << i;
    EXPECT_EQ(args, R"(["q","hello",7])");
    ids.insert(id);
    // Different shapes of answers: several arguments, binary-free JSON of any kind.
    const std::string reply = i % 2 ? "[" + std::to_string(i) + "]" : "[" + std::to_string(i) + ",{\"k\":true}]";
    c.members[i]->send_text("43" + std::to_string(id) + reply);
    expected.push_back(reply);
  }
  EXPECT_EQ(ids.size(), 1u) << "one ack id for the whole broadcast";
  EXPECT_GE(*ids.begin(), 100000000000000ull) << "broadcast ids stay clear of per-socket ids";
  ASSERT_EQ(result.wait_for(std::chrono::seconds(3)), std::future_status::ready);
  Result r = result.get();
  EXPECT_FALSE(r.timed_out);
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(r.answers, expected);
  EXPECT_LT(r.at - t0, std::chrono::seconds(3)) << "completed when all answered, not at the timeout";

  // A second broadcast gets the next id; a late or repeated answer to the first is ignored.
  auto second = c.ask(std::chrono::seconds(5));
  for (int i = 0; i < kMembers; ++i) {
    const uint64_t id = read_question(*c.members[i]);
    ASSERT_EQ(id, *ids.begin() + 1);
    c.members[i]->send_text("43" + std::to_string(*ids.begin()) + "[\"late\"]");
    c.members[i]->send_text("43" + std::to_string(id) + "[\"second\"]");
  }
  ASSERT_EQ(second.wait_for(std::chrono::seconds(3)), std::future_status::ready);
  Result r2 = second.get();
  EXPECT_FALSE(r2.timed_out);
  EXPECT_EQ(r2.answers, std::vector<std::string>(kMembers, "[\"second\"]"));

  auto st = c.server->stats();
  EXPECT_EQ(st.broadcast_acks, 2u);
  EXPECT_EQ(st.broadcast_ack_timeouts, 0u);
  EXPECT_EQ(st.broadcast_acks_refused, 0u);
}

TEST(EngineBroadcastAck, FromAHandlerTheCallbackRunsOnThatShard) {
  Cluster c;
  c.add_members(kMembers);
  c.members[0]->send_text("42[\"ask_all\"]");
  for (int i = 0; i < kMembers; ++i) {
    std::string args;
    const uint64_t id = read_question(*c.members[i], &args);
    ASSERT_NE(id, 0u);
    EXPECT_EQ(args, R"(["q","from-handler"])");
    c.members[i]->send_text("43" + std::to_string(id) + "[]");
  }
  EXPECT_EQ(c.members[0]->read_text(3000).value_or(""), "42[\"summary\",false,16]");
}

TEST(EngineBroadcastAck, SilentMembersTimeOutWithTheAnswersThatCame) {
  Cluster c;
  c.add_members(kMembers);
  const auto t0 = Clock::now();
  auto result = c.ask(std::chrono::milliseconds(600));
  for (int i = 0; i < kMembers; ++i) {
    const uint64_t id = read_question(*c.members[i]);
    ASSERT_NE(id, 0u);
    if (i < 3) continue;  // these three never answer
    c.members[i]->send_text("43" + std::to_string(id) + "[" + std::to_string(i) + "]");
  }
  ASSERT_EQ(result.wait_for(std::chrono::seconds(3)), std::future_status::ready);
  Result r = result.get();
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.answers.size(), size_t(kMembers - 3));
  EXPECT_GE(r.at - t0, std::chrono::milliseconds(550)) << "ended before the timeout";
  auto st = c.server->stats();
  EXPECT_EQ(st.broadcast_ack_timeouts, 1u);
  // The connections stay: a missed broadcast ack is no protocol error.
  EXPECT_EQ(st.sockets, uint64_t(kMembers));
}

TEST(EngineBroadcastAck, MemberLeavingBeforeItAnswersEndsTheWait) {
  Cluster c;
  c.add_members(kMembers);
  const auto t0 = Clock::now();
  auto result = c.ask(std::chrono::seconds(20));
  for (int i = 0; i < kMembers; ++i) {
    const uint64_t id = read_question(*c.members[i]);
    ASSERT_NE(id, 0u);
    if (i == 0) c.members[i]->send_text("41");  // namespace disconnect, no answer
    else if (i == 1) c.members[i]->close_fd();  // the connection goes away
    else c.members[i]->send_text("43" + std::to_string(id) + "[" + std::to_string(i) + "]");
  }
  ASSERT_EQ(result.wait_for(std::chrono::seconds(5)), std::future_status::ready) << "waited for the 20 s timeout";
  Result r = result.get();
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.answers.size(), size_t(kMembers - 2));
  EXPECT_LT(r.at - t0, std::chrono::seconds(5));
}

TEST(EngineBroadcastAck, WaitingBroadcastsAreBounded) {
  Cluster c;
  c.add_members(kMembers);
  // Members that never answer keep every broadcast waiting until its timeout.
  constexpr int kBound = 1024;  // detail::kMaxPendingBroadcastAcks
  std::vector<std::future<Result>> waiting;
  for (int i = 0; i < kBound; ++i) {
    bool accepted = false;
    waiting.push_back(c.ask(std::chrono::milliseconds(800), &accepted));
    ASSERT_TRUE(accepted) << "broadcast " << i;
  }
  bool accepted = true;
  auto beyond = c.ask(std::chrono::milliseconds(800), &accepted);
  EXPECT_FALSE(accepted) << "the broadcast beyond the bound is refused";
  EXPECT_EQ(c.server->stats().broadcast_acks_refused, 1u);
  for (auto& w : waiting) {
    ASSERT_EQ(w.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    Result r = w.get();
    EXPECT_TRUE(r.timed_out);
    EXPECT_TRUE(r.answers.empty());
  }
  // Once they ended, there is room again.
  auto again = c.ask(std::chrono::milliseconds(300), &accepted);
  EXPECT_TRUE(accepted);
  ASSERT_EQ(again.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  auto st = c.server->stats();
  EXPECT_EQ(st.broadcast_acks, uint64_t(kBound + 1));
  EXPECT_EQ(st.broadcast_ack_timeouts, uint64_t(kBound + 1));
}
