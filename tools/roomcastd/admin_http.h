// roomcastd's admin endpoint: a tiny blocking HTTP server on its own thread and port, away
// from the shards. Loopback by default.
//   GET  /debug/latency          broadcast stage profile (JSON; see Server::latency_profile_json)
//   POST /debug/latency/reset    clear the profile on every shard
//   POST /debug/profiling?on=1   switch profiling on (on=0: off)
//   GET  /metrics                counters (Server::stats) as JSON
#pragma once
#include <atomic>
#include <string>
#include <thread>

#include "roomcast/server.h"

namespace roomcastd {

class AdminHttp {
 public:
  AdminHttp(roomcast::Server& server, const std::string& address, uint16_t port);  // throws on bind failure
  ~AdminHttp();
  uint16_t port() const { return port_; }

 private:
  void loop();
  void serve(int fd);
  std::string route(const std::string& method, const std::string& path, const std::string& query);

  roomcast::Server& server_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::string stats_json(const roomcast::Stats& s);

}  // namespace roomcastd
