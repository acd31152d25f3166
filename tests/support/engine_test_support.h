// What the tests of the running engine (tests/unit/engine_*) share: a quiet configuration on
// a free port, the demo contract's "join" handler, a room's size, and bounded waiting.
#pragma once

#include <chrono>
#include <future>
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
