// Server configuration. Every field has the reference socket.io default where one exists.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace roomcast {

struct Config {
  std::string address = "127.0.0.1";   // IPv4 or IPv6 literal to listen on
  uint16_t port = 3000;                // 0 picks a free port (see Server::port())
  unsigned shards = 0;                 // event-loop threads; 0 = number of cores
  std::string path = "/socket.io/";    // Engine.IO endpoint path

  uint32_t ping_interval_ms = 25000;   // server sends an Engine.IO ping this often
  uint32_t ping_timeout_ms = 20000;    // ...and closes the connection if no pong by then
  uint32_t connect_timeout_ms = 45000; // close a connection that joins no namespace in time
  uint32_t handshake_timeout_ms = 10000;  // TCP open but no complete upgrade request

  size_t max_payload = 1'000'000;      // largest incoming message (WebSocket close 1009)
  uint32_t max_attachments = 10;       // binary attachments per packet
  size_t max_send_queue_bytes = 1 << 20;  // per connection; beyond it: "slow consumer"
  uint32_t max_connections_per_shard = 16384;  // also the fixed-file table size per ring
  size_t max_shard_queue = 1 << 16;    // cross-shard tasks waiting per shard; emit refuses beyond

  // Join a cluster of Socket.IO servers over Redis pub/sub ("redis://127.0.0.1:6379"), wire-
  // compatible with Node's @socket.io/redis-adapter 8.x and @socket.io/redis-emitter.
  // Empty: standalone, nothing connects.
  std::string redis_url;
  std::string redis_prefix = "socket.io";  // the adapter's `key` option
  size_t redis_max_queue = 1 << 16;        // messages waiting for Redis; beyond: newest dropped
  size_t redis_max_queue_bytes = 64 << 20; // ...and their bytes; same policy

  // Per-stage broadcast timing (Server::latency_profile_json); can also be toggled at run time.
  bool profile_broadcasts = false;

  uint32_t recv_buffer_size = 16384;   // provided-buffer ring: bytes per buffer
  uint32_t recv_buffer_count = 512;    // buffers per shard (power of two)

  // Where log lines go (one line per call, no trailing newline). Default: stderr.
  std::function<void(std::string_view)> log;
};

}  // namespace roomcast
