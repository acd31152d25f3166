// Typed handles for what the shards own: a shard, a connection of one shard, and both.
//
// Plain structs passed by value (the size of the integers they wrap), so that a shard index
// cannot be passed where a slot is meant, nor a slot without the generation that tells its
// current occupant from an earlier one. Where only a slot index is meant (the connection is
// already in hand as a Conn&), signatures keep a plain `uint32_t slot`.
#pragma once
#include <cstdint>

namespace roomcast::detail {

// A shard: its index in the server's shard set.
struct ShardId {
  unsigned value = 0;
  friend bool operator==(ShardId, ShardId) = default;
};

// A connection of one shard: its slot, and the slot's generation when the handle was taken.
// A slot is reused for later connections with a new generation, so a handle that outlives
// its connection matches nothing instead of reaching the newcomer (Shard::conn_if).
struct ConnId {
  uint32_t slot = 0;
  uint32_t gen = 0;
  friend bool operator==(ConnId, ConnId) = default;
};

// A connection anywhere in the server.
struct ConnRef {
  ShardId shard;
  ConnId conn;
  friend bool operator==(ConnRef, ConnRef) = default;
};

}  // namespace roomcast::detail
