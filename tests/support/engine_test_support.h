// What the tests of the running engine (tests/unit/engine_*) share: a quiet configuration on
// a free port, the demo contract's "join" handler, a room's size, and bounded waiting.
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "roomcast/server.h"

namespace roomcast::testing {

// Port 0 (the kernel picks a free one), `shards` shards, no log output.
inline Config quiet_config(unsigned shards = 1) {
  Config cfg;
  cfg.port = 0;
  cfg.shards = shards;
  cfg.log = [](std::string_view) {};
  return cfg;
}

// A server started on a free port for one test and stopped when it goes out of scope. The
// configuration's port and log are overridden (port 0, quiet), shards default to 1. `setup`
// registers namespaces and handlers (the API takes them only before start); "/" always exists.
struct Running {
  explicit Running(Config cfg, const std::function<void(Server&)>& setup = {}) {
    cfg.port = 0;
    if (!cfg.shards) cfg.shards = 1;
    cfg.log = [](std::string_view) {};
    server = std::make_unique<Server>(cfg);
    server->of("/");
    if (setup) setup(*server);
    server->start();
  }
  ~Running() {
    server->stop();
    server->wait();
  }
  uint16_t port() const { return server->port(); }
  std::unique_ptr<Server> server;
};

// The demo contract's join: `join(room, ack)` joins the room and acks "ok".
inline void on_join(Namespace& nsp) {
  nsp.on("join", [](Socket& s, const Args& a, Ack ack) {
    s.join(*a.str(0));
    ack("ok");
  });
}

// Members of `room` in namespace `nsp`, across all shards (blocks until the shards answer).
inline size_t room_size(Server& server, const std::string& room, std::string_view nsp = "/") {
  std::promise<size_t> p;
  server.of(std::string(nsp)).to(room).fetch_sockets([&](std::vector<SocketInfo> v) { p.set_value(v.size()); });
  return p.get_future().get();
}

// Polls `cond` every 10 ms until it holds or `ms` have passed; returns its last value.
template <class Cond>
bool eventually(Cond cond, int ms = 2000) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < until) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

// The same over the server's counters: eventually(server, [](const Stats& st) { ... }).
template <class Pred>
bool eventually(Server& server, Pred pred, int ms = 5000) {
  return eventually([&] { return pred(server.stats()); }, ms);
}

}  // namespace roomcast::testing
