// BASELINE for bench/micro/timer_wheel_bench.cpp only: the coarse 50 ms wheel that
// engine/src/util/timer_wheel.h replaced (issue 13: heartbeat and timeouts exact to the
// millisecond), kept unchanged so the exact wheel's cost is measured against it.
// Coarse timer wheel, one per shard. Each connection slot has at most one deadline (its
// earliest: ping, pong, connect or handshake timeout); the exact condition is re-checked by
// the caller when it fires.
//
// The entries are intrusive, one node per slot linked into its bucket's list, so the wheel's
// memory is a fixed 24 bytes per slot: it does not grow with how often deadlines move or
// with how many connections came and went. (An earlier version appended an entry per
// reschedule and let stale ones lapse; its bucket arrays kept the capacity of the largest
// burst each had seen, and a long soak with connection churn showed it as RSS that grew for
// many minutes.) Rescheduling is an unlink and a link, O(1), no search.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace roomcast::bench {

class CoarseTimerWheel {
 public:
  // What a fired deadline hands to due(): the slot, the generation it was scheduled for and
  // the deadline itself (the caller ignores an entry whose slot has moved on).
  struct Entry {
    uint32_t slot;
    uint32_t gen;
    int64_t deadline_ms;
  };

  explicit CoarseTimerWheel(int64_t now_ms, uint32_t tick_ms = 50, uint32_t buckets = 1024)
      : tick_ms_(tick_ms), heads_(buckets, kNil), current_tick_(now_ms / tick_ms) {}

  // Sets the slot's one deadline (> 0), replacing any it had. A deadline already past fires
  // on the next tick. Slots index a per-slot array: keep them dense.
  void schedule(uint32_t slot, uint32_t gen, int64_t deadline_ms) {
    if (slot >= nodes_.size()) nodes_.resize(size_t{slot} + 1);
    unlink(slot);
    int64_t tick = deadline_ms / tick_ms_;
    if (tick <= current_tick_) tick = current_tick_ + 1;
    Node& n = nodes_[slot];
    n.gen = gen;
    n.deadline_ms = deadline_ms;
    link(slot, bucket_of(tick));
  }

  // Forgets the slot's deadline, if it has one.
  void cancel(uint32_t slot) {
    if (slot < nodes_.size()) unlink(slot);
  }

  // The slot's deadline, or 0 when it has none.
  int64_t deadline(uint32_t slot) const {
    return slot < nodes_.size() && nodes_[slot].bucket != kNil ? nodes_[slot].deadline_ms : 0;
  }

  // Calls due(entry) for every deadline whose tick has come; later revolutions wait. A slot
  // is unscheduled before its due() runs, so due() may schedule it (or any slot) again.
  template <class F>
  void advance(int64_t now_ms, F&& due) {
    const int64_t target = now_ms / tick_ms_;
    while (current_tick_ < target) {
      ++current_tick_;
      const uint32_t b = bucket_of(current_tick_);
      // Collect first, call after: due() may move any slot, including ones in this list.
      for (uint32_t s = heads_[b]; s != kNil;) {
        Node& n = nodes_[s];
        const uint32_t next = n.next;
        // A deadline that was already past when scheduled sits in the next tick's bucket
        // and is due there too (its own tick is earlier).
        if (n.deadline_ms / tick_ms_ <= current_tick_) {
          unlink(s);
          fired_.push_back({s, n.gen, n.deadline_ms});
        }
        s = next;
      }
      for (const Entry& e : fired_) due(e);
      fired_.clear();
      // Thousands of connections can share a tick (a ramp); that array is let go once used.
      if (fired_.capacity() > kKeptCapacity) std::vector<Entry>().swap(fired_);
    }
  }

  // Entries of spare capacity kept for the next tick's fired deadlines.
  static constexpr size_t kKeptCapacity = 256;

  // Bytes the wheel holds (for tests and memory accounting).
  size_t memory_bytes() const {
    return heads_.capacity() * sizeof(uint32_t) + nodes_.capacity() * sizeof(Node) +
           fired_.capacity() * sizeof(Entry);
  }

  int64_t next_tick_ms() const { return (current_tick_ + 1) * tick_ms_; }

 private:
  static constexpr uint32_t kNil = UINT32_MAX;

  struct Node {
    int64_t deadline_ms = 0;
    uint32_t gen = 0;
    uint32_t bucket = kNil;  // kNil: not scheduled
    uint32_t prev = kNil;
    uint32_t next = kNil;
  };

  uint32_t bucket_of(int64_t tick) const {
    return static_cast<uint32_t>(tick % static_cast<int64_t>(heads_.size()));
  }

  void link(uint32_t slot, uint32_t b) {
    Node& n = nodes_[slot];
    n.bucket = b;
    n.prev = kNil;
    n.next = heads_[b];
    if (n.next != kNil) nodes_[n.next].prev = slot;
    heads_[b] = slot;
  }

  void unlink(uint32_t slot) {
    Node& n = nodes_[slot];
    if (n.bucket == kNil) return;
    if (n.prev != kNil)
      nodes_[n.prev].next = n.next;
    else
      heads_[n.bucket] = n.next;
    if (n.next != kNil) nodes_[n.next].prev = n.prev;
    n.bucket = n.prev = n.next = kNil;
  }

  int64_t tick_ms_;
  std::vector<uint32_t> heads_;  // first slot of each bucket's list
  std::vector<Node> nodes_;      // one per slot
  std::vector<Entry> fired_;
  int64_t current_tick_;
};

}  // namespace roomcast::bench
