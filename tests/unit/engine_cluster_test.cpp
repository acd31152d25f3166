// The cluster logic (cluster::ClusterAdapter) across nodes, without Redis: three servers in
// one process join one StubHub, each through its own StubTransport, and talk the classic
// @socket.io/redis-adapter wire format to each other. Real clients connect over loopback.
// (The same logic against redis-server and Node peers: tests/interop/redis.)
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cluster/cluster_adapter.h"
#include "engine_test_support.h"
#include "roomcast/server.h"
#include "stub_transport.h"
#include "ws_test_client.h"

using roomcast::testing::StubHub;
using roomcast::testing::StubTransport;
using roomcast::testing::WsTestClient;
using roomcast::testing::eventually;
using roomcast::testing::on_join;
using roomcast::testing::quiet_config;
using namespace std::chrono_literals;

namespace {

constexpr auto kRequestsTimeout = 600ms;

// One server joined to the hub.
struct Node {
  Node(StubHub& hub, std::string name, unsigned shards = 1) : name(std::move(name)) {
    roomcast::Config cfg = quiet_config(shards);
    // What roomcast::redis::adapter() builds, with the stub in place of Redis.
    cfg.adapter.make = [this, &hub](roomcast::detail::ServerCore& core) {
      roomcast::detail::cluster::ClusterOptions options;
      options.requests_timeout = kRequestsTimeout;
      auto adapter = std::make_unique<roomcast::detail::cluster::ClusterAdapter>(
          core, std::make_unique<StubTransport>(hub), options);
      cluster = adapter.get();
      return adapter;
    };
    server = std::make_unique<roomcast::Server>(cfg);
    on_join(server->of("/"));
    server->start();
  }
  ~Node() { leave(); }
  void leave() {
    if (!server) return;
    server->stop();
    server->wait();
    clients.clear();
    server.reset();
  }

  // A client of this node in `room` (none: in no room but its own); returns its socket id.
  std::string client(const std::string& room = "") {
    clients.push_back(std::make_unique<WsTestClient>());
    WsTestClient& c = *clients.back();
    EXPECT_TRUE(c.connect(server->port()));
    c.send_text("40");
    auto ok = c.read_text().value_or("");
    EXPECT_EQ(ok.rfind("40{\"sid\":\"", 0), 0u) << ok;  // 10 characters
    const size_t start = 10, end = ok.find('"', start);
    const std::string sid = end == std::string::npos ? "" : ok.substr(start, end - start);
    if (!room.empty()) {
      c.send_text("421[\"join\",\"" + room + "\"]");
      EXPECT_EQ(c.read_text().value_or(""), "431[\"ok\"]");
    }
    return sid;
  }

  roomcast::Namespace& nsp() { return server->of("/"); }
  std::vector<roomcast::SocketInfo> fetch(const std::string& room) {
    auto p = std::make_shared<std::promise<std::vector<roomcast::SocketInfo>>>();
    auto f = p->get_future();
    nsp().in(room).fetch_sockets([p](std::vector<roomcast::SocketInfo> v) { p->set_value(std::move(v)); });
    EXPECT_EQ(f.wait_for(5s), std::future_status::ready);
    return f.get();
  }

  std::string name;
  std::unique_ptr<roomcast::Server> server;
  roomcast::detail::cluster::ClusterAdapter* cluster = nullptr;
  std::vector<std::unique_ptr<WsTestClient>> clients;
};

std::vector<std::string> ids_of(const std::vector<roomcast::SocketInfo>& v) {
  std::vector<std::string> ids;
  for (auto& s : v) ids.push_back(s.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// The result of a server_side_emit_with_ack, as JSON values in arrival order.
struct ServerSideResult {
  bool timed_out = false;
  std::vector<std::string> answers;
  std::chrono::steady_clock::duration took{};
};

std::future<ServerSideResult> ask_server_side(Node& n, const std::string& event, bool* sent = nullptr) {
  auto p = std::make_shared<std::promise<ServerSideResult>>();
  const auto t0 = std::chrono::steady_clock::now();
  roomcast::Arg args[] = {roomcast::Arg(int64_t(41))};
  const bool ok = n.nsp().server_side_emit_with_ack(event, args, [p, t0](bool timed_out, const roomcast::Args& r) {
    ServerSideResult res{timed_out, {}, std::chrono::steady_clock::now() - t0};
    for (size_t i = 0; i < r.size(); ++i) res.answers.emplace_back(r.raw(i));
    std::sort(res.answers.begin(), res.answers.end());
    p->set_value(std::move(res));
  });
  if (sent) *sent = ok;
  return p->get_future();
}

class EngineCluster : public ::testing::Test {
 protected:
  StubHub hub;
  Node a{hub, "a", 2}, b{hub, "b"}, c{hub, "c"};
};

}  // namespace

TEST_F(EngineCluster, BroadcastReachesTheRoomOnOtherNodesOnly) {
  b.client("r");
  c.client("other");
  ASSERT_TRUE(a.nsp().to("r").emit("news", int64_t(1)));
  EXPECT_EQ(b.clients[0]->read_text().value_or(""), "42[\"news\",1]");
  EXPECT_FALSE(c.clients[0]->read_text(300)) << "not in the room";
  // C had no member of "r": it drops the message unseen, as Node's adapter does.
  EXPECT_TRUE(eventually([&] { return c.cluster->counters().skipped.get() >= 1; }));
  EXPECT_TRUE(eventually([&] { return b.cluster->counters().delivered.get() == 1; }));
  EXPECT_EQ(c.cluster->counters().delivered.get(), 0u);
  EXPECT_GE(a.server->stats().adapter.published, 1u);

  // To everyone: every node delivers, the sender's own copy is not delivered twice.
  a.client();
  ASSERT_TRUE(a.nsp().emit("all", "x"));
  EXPECT_EQ(a.clients[0]->read_text().value_or(""), "42[\"all\",\"x\"]");
  EXPECT_EQ(b.clients[0]->read_text().value_or(""), "42[\"all\",\"x\"]");
  EXPECT_EQ(c.clients[0]->read_text().value_or(""), "42[\"all\",\"x\"]");
  EXPECT_FALSE(a.clients[0]->read_text(300)) << "the sender's node got its own message back";
}

TEST_F(EngineCluster, SocketsJoinAndLeaveOnOtherNodes) {
  b.client("r");
  c.client("r");
  c.client("other");
  a.nsp().in("r").sockets_join("s");
  // fetch() asks every node: this is the cluster's view.
  EXPECT_TRUE(eventually([&] { return a.fetch("s").size() == 2; }));
  // Now "s" is known on B and C: a broadcast there reaches the joined sockets only.
  ASSERT_TRUE(a.nsp().to("s").emit("in_s"));
  EXPECT_EQ(b.clients[0]->read_text().value_or(""), "42[\"in_s\"]");
  EXPECT_EQ(c.clients[0]->read_text().value_or(""), "42[\"in_s\"]");
  EXPECT_FALSE(c.clients[1]->read_text(300));

  a.nsp().in("s").sockets_leave("r");
  EXPECT_TRUE(eventually([&] { return a.fetch("r").empty(); }));
  EXPECT_EQ(a.fetch("s").size(), 2u) << "leaving r keeps s";
}

TEST_F(EngineCluster, DisconnectSocketsOnOtherNodes) {
  b.client("r");
  c.client("r");
  c.client("other");
  a.nsp().in("r").disconnect_sockets(true);
  EXPECT_TRUE(b.clients[0]->wait_closed(3000));
  EXPECT_TRUE(c.clients[0]->wait_closed(3000));
  EXPECT_FALSE(c.clients[1]->wait_closed(300)) << "not selected";
  EXPECT_EQ(c.fetch("other").size(), 1u);
}

TEST_F(EngineCluster, FetchSocketsCollectsEveryNode) {
  std::vector<std::string> expected = {a.client("r"), a.client("r"), b.client("r"), c.client("r")};
  c.client("other");
  const auto t0 = std::chrono::steady_clock::now();
  auto found = a.fetch("r");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, kRequestsTimeout) << "ended when every node answered";
  EXPECT_EQ(ids_of(found), sorted(expected));
  size_t remote = 0;
  for (auto& s : found) {
    remote += s.remote;
    if (s.remote) EXPECT_EQ(s.rooms.size(), 2u) << "its own room and r";
  }
  EXPECT_EQ(remote, 2u);
  EXPECT_GE(b.cluster->counters().requests_answered.get(), 1u);
  EXPECT_EQ(a.server->stats().adapter.requests_timed_out, 0u);
}

TEST_F(EngineCluster, ServerSideEmitCollectsOneAnswerPerNode) {
  b.nsp().on_server_side("ping", [](const roomcast::Args& args, roomcast::ServerSideAck ack) {
    if (ack) ack(std::string("b") + std::string(args.raw(0)));
  });
  c.nsp().on_server_side("ping", [](const roomcast::Args&, roomcast::ServerSideAck ack) {
    if (ack) ack(int64_t(3));
  });
  bool sent = false;
  auto result = ask_server_side(a, "ping", &sent);
  ASSERT_TRUE(sent);
  ASSERT_EQ(result.wait_for(3s), std::future_status::ready);
  auto r = result.get();
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.answers, (std::vector<std::string>{"\"b41\"", "3"}));
  EXPECT_LT(r.took, kRequestsTimeout);
  EXPECT_EQ(b.server->stats().adapter.server_side_handled, 1u);

  // Without an ack: handlers run, nothing is awaited.
  std::promise<std::string> got;
  c.nsp().on_server_side("note", [&](const roomcast::Args& args, roomcast::ServerSideAck ack) {
    got.set_value(std::string(args.raw(0)) + (ack ? " ack" : " no-ack"));
  });
  ASSERT_TRUE(a.nsp().server_side_emit("note", "hi"));
  auto f = got.get_future();
  ASSERT_EQ(f.wait_for(3s), std::future_status::ready);
  EXPECT_EQ(f.get(), "\"hi\" no-ack");
}

TEST_F(EngineCluster, ServerSideEmitTimesOutWithTheAnswersThatCame) {
  b.nsp().on_server_side("ping", [](const roomcast::Args&, roomcast::ServerSideAck ack) { ack(std::string("b")); });
  // C has no handler: it does not answer, and the asker waits out the timeout.
  auto result = ask_server_side(a, "ping");
  ASSERT_EQ(result.wait_for(5s), std::future_status::ready);
  auto r = result.get();
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.answers, std::vector<std::string>{"\"b\""});
  EXPECT_GE(r.took, kRequestsTimeout - 50ms);
  EXPECT_EQ(a.server->stats().adapter.requests_timed_out, 1u);
}

TEST_F(EngineCluster, BroadcastWithAcksCollectsClientsOfEveryNode) {
  a.client("r");
  b.client("r");
  c.client("r");
  c.client("r");
  auto p = std::make_shared<std::promise<std::pair<bool, std::vector<std::string>>>>();
  roomcast::Arg args[] = {roomcast::Arg("ready?")};
  ASSERT_TRUE(a.nsp().to("r").emit_with_ack("q", args, [p](bool timed_out, std::vector<roomcast::Args> r) {
    std::vector<std::string> answers;
    for (auto& x : r) answers.emplace_back(x.size() ? std::string(x.raw(0)) : "");
    std::sort(answers.begin(), answers.end());
    p->set_value({timed_out, answers});
  }, 3s));
  std::vector<std::string> expected;
  int i = 0;
  for (Node* n : {&a, &b, &c})
    for (auto& cl : n->clients) {
      auto t = cl->read_text().value_or("");
      const size_t bracket = t.find('[');
      ASSERT_EQ(t.rfind("42", 0), 0u) << t;
      ASSERT_NE(bracket, std::string::npos);
      EXPECT_EQ(t.substr(bracket), "[\"q\",\"ready?\"]");
      const std::string answer = "\"" + n->name + std::to_string(i++) + "\"";
      cl->send_text("43" + t.substr(2, bracket - 2) + "[" + answer + "]");
      expected.push_back(answer);
    }
  auto f = p->get_future();
  ASSERT_EQ(f.wait_for(3s), std::future_status::ready) << "did not end when every client answered";
  auto [timed_out, answers] = f.get();
  EXPECT_FALSE(timed_out);
  EXPECT_EQ(answers, sorted(expected));
}

TEST_F(EngineCluster, BroadcastWithAcksTimesOutOnASilentRemoteClient) {
  b.client("r");
  auto p = std::make_shared<std::promise<std::pair<bool, size_t>>>();
  roomcast::Arg args[] = {roomcast::Arg(int64_t(1))};
  ASSERT_TRUE(a.nsp().to("r").emit_with_ack("q", args, [p](bool timed_out, std::vector<roomcast::Args> r) {
    p->set_value({timed_out, r.size()});
  }, 500ms));
  EXPECT_EQ(b.clients[0]->read_text().value_or("").rfind("42", 0), 0u);  // and no answer
  auto f = p->get_future();
  ASSERT_EQ(f.wait_for(3s), std::future_status::ready);
  auto [timed_out, n] = f.get();
  EXPECT_TRUE(timed_out);
  EXPECT_EQ(n, 0u);
}

TEST_F(EngineCluster, ANodeThatLeftIsNoLongerAwaited) {
  std::vector<std::string> expected = {a.client("r"), b.client("r")};
  c.client("r");
  EXPECT_EQ(a.fetch("r").size(), 3u);
  b.nsp().on_server_side("ping", [](const roomcast::Args&, roomcast::ServerSideAck ack) { ack(std::string("b")); });

  c.leave();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(ids_of(a.fetch("r")), sorted(expected));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, kRequestsTimeout) << "waited for the node that left";
  auto result = ask_server_side(a, "ping");
  ASSERT_EQ(result.wait_for(3s), std::future_status::ready);
  auto r = result.get();
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.answers, std::vector<std::string>{"\"b\""});

  // Alone: answered at once, with the local part only.
  b.leave();
  EXPECT_EQ(ids_of(a.fetch("r")), std::vector<std::string>{expected[0]});
  auto alone = ask_server_side(a, "ping");
  ASSERT_EQ(alone.wait_for(3s), std::future_status::ready);
  auto r2 = alone.get();
  EXPECT_FALSE(r2.timed_out);
  EXPECT_TRUE(r2.answers.empty());
}
