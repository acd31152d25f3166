// A cluster over Redis pub/sub, wire-compatible with Node's @socket.io/redis-adapter 8.x
// (classic mode) and @socket.io/redis-emitter:
//   cfg.adapter = roomcast::redis::adapter("redis://127.0.0.1:6379");
#pragma once
#include <chrono>
#include <cstddef>
#include <string>

#include "roomcast/adapter.h"

namespace roomcast::redis {

struct Options {
  std::string prefix = "socket.io";     // the Node adapter's `key` option
  size_t max_queue = 1 << 16;           // messages waiting for Redis; beyond: newest dropped
  size_t max_queue_bytes = 64 << 20;    // ...and their bytes; same policy
  std::chrono::milliseconds requests_timeout{5000};  // fetchSockets, serverSideEmit with ack
};

// Joins the cluster behind `url` ("redis://host:port"). Nothing connects before the server
// starts; an unreachable Redis is retried with backoff while local delivery goes on.
// Throws std::invalid_argument on a URL it cannot use.
AdapterFactory adapter(const std::string& url, Options options = {});

}  // namespace roomcast::redis
