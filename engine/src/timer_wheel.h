// Coarse timer wheel, one per shard. Each connection has one deadline (its earliest: ping,
// pong, connect or handshake timeout); the exact condition is re-checked when it fires.
//
// Rescheduling never searches: it appends a new entry and the old one is recognised as
// stale when its bucket comes round (its deadline no longer matches the connection's).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace roomcast::detail {

class TimerWheel {
 public:
  struct Entry {
    uint32_t slot;
    uint32_t gen;
    int64_t deadline_ms;
  };

  explicit TimerWheel(int64_t now_ms, uint32_t tick_ms = 50, uint32_t buckets = 1024)
      : tick_ms_(tick_ms), buckets_(buckets), current_tick_(now_ms / tick_ms) {}

  void schedule(uint32_t slot, uint32_t gen, int64_t deadline_ms) {
    int64_t tick = deadline_ms / tick_ms_;
    if (tick <= current_tick_) tick = current_tick_ + 1;
    buckets_[size_t(tick % int64_t(buckets_.size()))].push_back({slot, gen, deadline_ms});
  }

  // Calls due(entry) for every entry whose bucket time has passed; entries whose deadline is
  // still in the future (beyond one revolution) are kept. due() must ignore stale entries.
  template <class F>
  void advance(int64_t now_ms, F&& due) {
    int64_t target = now_ms / tick_ms_;
    while (current_tick_ < target) {
      ++current_tick_;
      auto& b = buckets_[size_t(current_tick_ % int64_t(buckets_.size()))];
      if (b.empty()) continue;
      scratch_.swap(b);
      for (const Entry& e : scratch_) {
        if (e.deadline_ms / tick_ms_ > current_tick_)
          b.push_back(e);  // a later revolution
        else
          due(e);
      }
      scratch_.clear();
      // The swap hands each bucket the previous bucket's array, so without this the largest
      // array ever needed (a burst of connections in one tick) would travel round the wheel
      // and every bucket would end up holding one that size: memory grew for as long as
      // connections churned. A large array is let go once its bucket has been served, so a
      // wheel holds at most kKeptCapacity spare entries per bucket after one revolution.
      if (scratch_.capacity() > kKeptCapacity) std::vector<Entry>().swap(scratch_);
    }
  }

  // Entries of spare capacity the wheel keeps per array between turns.
  static constexpr size_t kKeptCapacity = 256;

  // Spare plus used entries held by all buckets (for tests and memory accounting).
  size_t capacity() const {
    size_t n = scratch_.capacity();
    for (const auto& b : buckets_) n += b.capacity();
    return n;
  }

  int64_t next_tick_ms() const { return (current_tick_ + 1) * tick_ms_; }

 private:
  int64_t tick_ms_;
  std::vector<std::vector<Entry>> buckets_;
  std::vector<Entry> scratch_;
  int64_t current_tick_;
};

}  // namespace roomcast::detail
