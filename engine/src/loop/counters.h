// Per-shard counters: written by the shard thread only, read by anyone (Server::stats).
// Relaxed atomics so a concurrent read is defined behaviour; a plain add on the writer side.
#pragma once
#include <atomic>
#include <cstdint>

#include "roomcast/faults.h"

namespace roomcast::detail {

struct Counter {
  std::atomic<uint64_t> v{0};
  void add(uint64_t n = 1) { v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void sub(uint64_t n = 1) { v.store(v.load(std::memory_order_relaxed) - n, std::memory_order_relaxed); }
  uint64_t get() const { return v.load(std::memory_order_relaxed); }
};

struct alignas(64) ShardCounters {
  Counter connections, sockets, accepted, refused_full, handshake_errors, protocol_errors,
      slow_consumer_disconnects, ping_timeouts, connect_timeouts, broadcasts, deliveries,
      bytes_sent, emits_refused, handler_exceptions, frames_dropped, volatile_drops,
      connections_reset, close_lingers, close_linger_bytes, close_linger_limits, refused_max_connections, refused_per_address,
      accept_errors, recv_buffers_exhausted, submission_queue_full, submit_retries, io_cancelled,
      connection_slots;
  Counter faults[kFaultCount];
};

// One refused input: its own reason counter and the coarse total it belongs to.
inline void count_fault(ShardCounters& c, Fault f) {
  c.faults[size_t(f)].add();
  (is_handshake_fault(f) ? c.handshake_errors : c.protocol_errors).add();
}

}  // namespace roomcast::detail
