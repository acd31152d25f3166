// Server configuration. Every field has the reference socket.io default where one exists.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "roomcast/adapter.h"
#include "roomcast/engine_io.h"

namespace roomcast {

struct Config {
  std::string address = "127.0.0.1";   // IPv4 or IPv6 literal to listen on
  uint16_t port = 3000;                // 0 picks a free port (see Server::port())
  unsigned shards = 0;                 // event-loop threads; 0 = number of cores
  std::string path = "/socket.io/";    // Engine.IO endpoint path
  // A bare Engine.IO endpoint next to Socket.IO on the same port (e.g. "/engine.io/");
  // empty: none. Its connections deliver raw messages to `engine_io` (engine_io.h).
  std::string engine_io_path;
  EngineIoHandlers engine_io;
  // Plain HTTP resources on the same port (a demo page, the client bundle): exact path ->
  // content. GET and HEAD only (else 405).
  struct StaticResource {
    std::string content_type;
    std::string body;
  };
  std::map<std::string, StaticResource, std::less<>> static_resources;

  uint32_t ping_interval_ms = 25000;   // server sends an Engine.IO ping this often
  uint32_t ping_timeout_ms = 20000;    // ...and closes the connection if no pong by then
  uint32_t connect_timeout_ms = 45000; // close a connection that joins no namespace in time
  uint32_t handshake_timeout_ms = 10000;  // TCP open but no complete upgrade request
  uint32_t upgrade_timeout_ms = 10000; // polling -> WebSocket upgrade must complete by then

  // Browsers on other origins (both transports; requests without Origin and same-origin
  // requests are always served). Empty: none. "*": any. Else exact origins such as
  // "https://app.example.com". A refused origin gets 403 {"code":4,"message":"Forbidden"}.
  std::vector<std::string> cors_origins;
  bool cors_credentials = false;       // Access-Control-Allow-Credentials: true
  uint32_t shutdown_timeout_ms = 5000;   // stop(): time to flush queues before cutting peers

  size_t max_payload = 1'000'000;      // largest incoming message (WebSocket close 1009)
  uint32_t max_attachments = 10;       // binary attachments per packet
  size_t max_send_queue_bytes = 1 << 20;  // per connection; beyond it: "slow consumer"
  // Soft limit for volatile emits: a connection with more than this queued skips them
  // (Stats::volatile_drops) instead of growing towards max_send_queue_bytes.
  size_t volatile_queue_bytes = 64 << 10;
  uint32_t max_connections_per_shard = 16384;  // also the fixed-file table size per ring
  uint32_t max_connections = 0;              // whole server; 0 = only the per-shard bound
  uint32_t max_connections_per_address = 0;  // per remote IP; 0 = no limit
  size_t max_shard_queue = 1 << 16;    // cross-shard tasks waiting per shard; emit refuses beyond
  // Distinct frames queued on one shard's connections at once (a broadcast counts once per
  // shard however many members it has). Address space for them is reserved up front and
  // becomes resident only as used; beyond the bound a frame is dropped and counted
  // (Stats::frames_dropped).
  uint32_t max_frames_per_shard = 1u << 24;
  // After the server closes a WebSocket (a close frame: bad input, timeouts, shutdown) it
  // sends FIN and keeps reading and discarding what the peer still sends, so that the peer
  // reads the close code instead of a reset that would discard it (a peer still writing an
  // oversized message). Bounded in time and bytes (Stats::close_linger_limits counts the
  // ends at a bound); a slow-consumer reset never lingers.
  uint32_t close_linger_ms = 1000;
  size_t close_linger_bytes = 2u << 20;  // a whole message of up to twice max_payload drains

  // Join a cluster of Socket.IO servers, e.g. over Redis pub/sub, wire-compatible with Node's
  // @socket.io/redis-adapter 8.x: roomcast::redis::adapter("redis://127.0.0.1:6379")
  // (roomcast/redis.h). Empty: standalone, nothing connects.
  AdapterFactory adapter;

  // Per-stage broadcast timing (Server::latency_profile_json); can also be toggled at run time.
  bool profile_broadcasts = false;

  // Provided-buffer ring for receives, per shard. Every buffer gets touched as the ring
  // turns, so this is resident memory per shard; a message larger than a buffer arrives
  // in several (the parser takes streams), and a burst that finds the ring empty re-arms.
  uint32_t recv_buffer_size = 8192;    // bytes per buffer
  uint32_t recv_buffer_count = 256;    // buffers per shard (power of two)
  // Submission queue entries per shard's io_uring (power of two, >= 8; completion queue
  // twice that). A full queue is handed to the kernel mid-turn (Stats::submission_queue_full);
  // small values exist to exercise that path, not for production.
  uint32_t io_uring_entries = 4096;

  // Where log lines go (one line per call, no trailing newline). Default: stderr.
  std::function<void(std::string_view)> log;
};

}  // namespace roomcast
