// Broadcasts with acknowledgements (socket.io's io.timeout(ms).to(room).emit(ev, ..., cb)).
//
// As socket.io does it: one ack id for the whole broadcast, one encoded frame for every
// member; each member socket remembers that id, pointing at the broadcast's group. Members
// answer on their own shards; everything about the group happens on one shard, its home
// (the emitting shard, or shard 0), reached through the shards' task queues, so the group
// needs no lock. The fan-out itself stays encode-once with one reference per shard.
//
// Every member ends exactly once: it answers, its ack times out on its shard, or it leaves
// (disconnect) first. So the group knows when the local part is over without a timer of
// its own; the cluster part (cluster::Adapter) has its deadline on the adapter thread.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "roomcast/args.h"

namespace roomcast::detail {

class Shard;
class ServerCore;
class SharedFrame;

// Where a group's results go; called on the home shard only: clients() once, when every
// shard has counted its members; answer() per reply (local or from another node); done()
// once at the end, `missing` when some expected answer never came.
class BroadcastAckSink {
 public:
  virtual ~BroadcastAckSink() = default;
  virtual void clients(uint64_t) {}
  virtual void answer(const Args& reply) = 0;
  virtual void done(bool missing) = 0;
};

// Any thread.
struct BroadcastAckCounters {
  std::atomic<uint64_t> started{0};
  std::atomic<uint64_t> timed_out{0};  // ended with `missing`
  std::atomic<uint64_t> refused{0};    // kMaxPendingBroadcastAcks reached
  std::atomic<uint32_t> pending{0};
};

// Groups waiting for answers, this node's own and other nodes' requests together. Beyond it
// a new broadcast with acks is refused before anything is sent (policy "refuse-new",
// counted in BroadcastAckCounters::refused): each group pins one entry per member socket.
inline constexpr uint32_t kMaxPendingBroadcastAcks = 1024;
// socket.io's packet ids count from 0 per namespace; socket emits with ack here count per
// socket from 0. Broadcast ids start far above, so that the two never meet on one socket,
// and stay within the 15 digits a JavaScript number holds exactly.
inline constexpr uint64_t kBroadcastAckIdBase = 100000000000000ull;

class BroadcastAckGroup : public std::enable_shared_from_this<BroadcastAckGroup> {
 public:
  BroadcastAckGroup(ServerCore& core, Shard& home, std::unique_ptr<BroadcastAckSink> sink, unsigned shards,
                    bool cluster)
      : core_(core), home_(home), sink_(std::move(sink)), shards_left_(shards), cluster_waiting_(cluster) {}

  // Runs f(group) on the home shard: now if the caller is that shard, else as a task.
  void at_home(std::function<void(BroadcastAckGroup&)> f);

  // ---- home shard only ----
  void shard_counted(uint64_t members);
  void member_ended(const Args* reply);  // null: timed out or left
  void cluster_answer(const Args& reply);
  void cluster_ended(bool missing);

 private:
  void check();
  ServerCore& core_;
  Shard& home_;
  std::unique_ptr<BroadcastAckSink> sink_;
  unsigned shards_left_;
  uint64_t expected_ = 0, ended_ = 0;
  bool cluster_waiting_;
  bool missing_ = false;
  bool finished_ = false;
};

// Reserves a pending slot: false (and counted) at kMaxPendingBroadcastAcks.
bool reserve_broadcast_ack(ServerCore& core);
// Sends `frame` (encoded with `ack_id`, one reference per shard, taken over) to the selected
// members of every shard and registers each with `group`. On a refusal (a shard queue full)
// nothing is sent, the reservation is returned and false comes back; the group is dropped.
bool fan_out_with_ack(ServerCore& core, uint32_t nsp_index, SharedFrame* frame, uint64_t ack_id,
                      const std::vector<std::string>& rooms, const std::vector<std::string>& except,
                      std::chrono::milliseconds timeout, std::shared_ptr<BroadcastAckGroup> group);

}  // namespace roomcast::detail
