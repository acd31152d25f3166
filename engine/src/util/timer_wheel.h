// Exact timer wheel, one per shard: each connection slot has at most one deadline (its
// earliest: ping, pong, connect, upgrade or handshake timeout, an ack's), and it fires in the
// first advance() whose time has reached it, to the millisecond.
//
// Why exact: Engine.IO names its times (the first ping pingInterval after the open packet,
// the close pingTimeout after an unanswered ping) and socket.io keeps them to the
// millisecond; a coarse 50 ms wheel made roomcastd late by up to a tick on every one of
// them, and the lateness added up across ping -> pong -> ping.
// Why a hierarchical wheel and not a heap: schedule and cancel stay O(1) at 100,000
// connections (a deadline moves on every pong), and a deadline is touched only when it
// cascades to a finer level, a bounded number of times (at most once per level).
//
// Geometry: level 0 has 2^level0_bits buckets of 1 ms; each level above has 2^level_bits
// buckets, each as long as the whole level below. With the defaults (8, 6): 256 ms, 16 s,
// 17.5 min and 18.6 h; deadlines further out wait in the last level and are placed again
// when they cascade. A deadline sits in the level whose span holds its distance from now;
// when time enters a coarse bucket's range, the bucket cascades: its deadlines are placed
// again, closer, so each reaches level 0 before it is due.
//
// The entries are intrusive, one node per slot linked into its bucket's list, so memory is
// a fixed 24 bytes per slot plus the buckets: it does not grow with how often deadlines move
// or how many connections came and went (an earlier wheel appended an entry per reschedule
// and kept its bucket arrays' largest size; a soak with churn showed it as RSS growth).
// Occupancy bitmaps let advance() skip empty stretches and tell the loop how long it may
// sleep (next_due_ms), so an idle shard does not wake every millisecond.
#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace roomcast::detail {

class TimerWheel {
 public:
  // What a fired deadline hands to due(): the slot, the generation it was scheduled for and
  // the deadline itself (the caller ignores an entry whose slot has moved on).
  struct Entry {
    uint32_t slot;
    uint32_t gen;
    int64_t deadline_ms;
  };

  static constexpr unsigned kLevels = 4;

  // `now_ms`: the clock's current time. The bits set the geometry (see above); tests use
  // small ones so that cascades happen within a short program.
  explicit TimerWheel(int64_t now_ms, unsigned level0_bits = 8, unsigned level_bits = 6)
      : current_(now_ms) {
    unsigned shift = 0;
    for (unsigned l = 0; l < kLevels; ++l) {
      const unsigned bits = l == 0 ? level0_bits : level_bits;
      Level& lv = levels_[l];
      lv.shift = shift;
      lv.mask = (uint32_t{1} << bits) - 1;
      lv.first = uint32_t(heads_.size());
      heads_.resize(heads_.size() + (size_t{1} << bits), kNil);
      lv.occupied.assign(((size_t{1} << bits) + 63) / 64, 0);
      shift += bits;
    }
    max_delta_ = (int64_t{1} << shift) - 1;
  }

  // Sets the slot's one deadline (> 0), replacing any it had. A deadline not after the
  // wheel's current time fires in the next advance that moves time on. Slots index a
  // per-slot array: keep them dense.
  void schedule(uint32_t slot, uint32_t gen, int64_t deadline_ms) {
    if (slot >= nodes_.size()) nodes_.resize(size_t{slot} + 1);
    unlink(slot);
    Node& n = nodes_[slot];
    n.gen = gen;
    n.deadline_ms = deadline_ms;
    place(slot);
  }

  // Forgets the slot's deadline, if it has one.
  void cancel(uint32_t slot) {
    if (slot < nodes_.size()) unlink(slot);
  }

  // The slot's deadline, or 0 when it has none.
  int64_t deadline(uint32_t slot) const {
    return slot < nodes_.size() && nodes_[slot].bucket != kNil ? nodes_[slot].deadline_ms : 0;
  }

  // Moves the wheel's time to `now_ms`, calling due(entry) for every deadline reached, in
  // order of time (entries of one millisecond in any order). A slot is unscheduled before
  // its due() runs, so due() may schedule it (or any slot) again; a deadline so scheduled
  // that is already reached fires in the next millisecond, within this call if now_ms is
  // past it.
  template <class F>
  void advance(int64_t now_ms, F&& due) {
    while (current_ < now_ms) {
      // Nothing happens before the next event: jump to just before it (or to the end).
      const int64_t next = next_event();
      if (next > now_ms) {
        current_ = now_ms;
        break;
      }
      current_ = next;
      cascade();
      fire(due);
    }
  }

  // The wheel's current time: the last advance()'s, or the time of the deadlines being
  // fired while inside due().
  int64_t now_ms() const { return current_; }

  // The earliest time at which advance() may have something to do: a deadline, or a coarse
  // bucket to cascade (which never comes after the deadlines in it). current + max when the
  // wheel is empty. The loop sleeps until then.
  int64_t next_due_ms() const { return next_event(); }

  // Entries of spare capacity kept for the next millisecond's fired deadlines.
  static constexpr size_t kKeptCapacity = 256;

  // Bytes the wheel holds (for tests and memory accounting).
  size_t memory_bytes() const {
    size_t bitmaps = 0;
    for (const Level& lv : levels_) bitmaps += lv.occupied.capacity() * sizeof(uint64_t);
    return heads_.capacity() * sizeof(uint32_t) + nodes_.capacity() * sizeof(Node) +
           fired_.capacity() * sizeof(Entry) + bitmaps;
  }

 private:
  static constexpr uint32_t kNil = UINT32_MAX;

  struct Node {
    int64_t deadline_ms = 0;
    uint32_t gen = 0;
    uint32_t bucket = kNil;  // index into heads_; kNil: not scheduled
    uint32_t prev = kNil;
    uint32_t next = kNil;
  };

  struct Level {
    unsigned shift = 0;    // a bucket of this level spans 2^shift ms
    uint32_t mask = 0;     // buckets - 1
    uint32_t first = 0;    // its first bucket in heads_
    std::vector<uint64_t> occupied;  // one bit per bucket with a deadline in it
  };

  // The bucket a deadline belongs in, from the current time: the finest level whose span
  // holds the distance (level l holds distances below 2^(shift of level l+1)). A new
  // deadline already reached goes to the next millisecond; a cascading one (never earlier
  // than the span now beginning) may land on this very millisecond, which fire() serves next.
  void place(uint32_t slot, bool cascading = false) {
    Node& n = nodes_[slot];
    const int64_t earliest = cascading ? current_ : current_ + 1;
    int64_t at = n.deadline_ms > earliest ? n.deadline_ms : earliest;
    if (at - current_ > max_delta_) at = current_ + max_delta_;  // re-placed on cascade
    const int64_t delta = at - current_;
    unsigned l = 0;
    while (l + 1 < kLevels && delta >= (int64_t{1} << levels_[l + 1].shift)) ++l;
    const Level& lv = levels_[l];
    link(slot, lv.first + (uint32_t(at >> lv.shift) & lv.mask));
  }

  // The earliest time > current_ at which something is due or cascades.
  int64_t next_event() const {
    int64_t best = current_ + max_delta_ + 1;
    for (unsigned l = 0; l < kLevels; ++l) {
      const Level& lv = levels_[l];
      // Level 0: a bucket holds one millisecond. Level l > 0: its bucket i cascades when
      // time enters a span of 2^shift ms whose index is i; the next such moment after now.
      const int64_t span_now = current_ >> lv.shift;
      const uint32_t start = uint32_t(span_now + 1) & lv.mask;
      const int32_t off = next_set(lv, start);  // buckets after the current span's
      if (off < 0) continue;
      const int64_t t = (span_now + 1 + off) << lv.shift;
      if (t < best) best = t;
    }
    return best;
  }

  // Distance (0..buckets-1) from `start` to the next occupied bucket, wrapping; -1 if none.
  static int32_t next_set(const Level& lv, uint32_t start) {
    const uint32_t n = lv.mask + 1;
    const size_t words = lv.occupied.size();
    // Scan from start to the end, then from 0 to start.
    for (uint32_t pass = 0; pass < 2; ++pass) {
      const uint32_t from = pass == 0 ? start : 0;
      const uint32_t to = pass == 0 ? n : start;
      for (uint32_t i = from; i < to;) {
        const size_t w = i / 64;
        if (w >= words) break;
        uint64_t bits = lv.occupied[w] >> (i % 64);
        if (bits) {
          const uint32_t j = i + uint32_t(std::countr_zero(bits));
          if (j >= to) break;
          return int32_t(pass == 0 ? j - start : n - start + j);
        }
        i = uint32_t(w + 1) * 64;
      }
    }
    return -1;
  }

  // At current_: every coarse bucket whose span begins now is placed again, finer. place()
  // picks the level by distance, so a deadline of this very millisecond goes straight to
  // level 0, where fire() looks next, whichever level it came from.
  void cascade() {
    for (unsigned l = kLevels - 1; l >= 1; --l) {
      const Level& lv = levels_[l];
      if (current_ & ((int64_t{1} << lv.shift) - 1)) continue;  // not a span boundary
      const uint32_t b = lv.first + (uint32_t(current_ >> lv.shift) & lv.mask);
      uint32_t s = heads_[b];
      while (s != kNil) {
        const uint32_t next = nodes_[s].next;
        unlink(s);
        place(s, true);
        s = next;
      }
    }
  }

  template <class F>
  void fire(F& due) {
    const Level& lv = levels_[0];
    const uint32_t b = lv.first + (uint32_t(current_) & lv.mask);
    // Collect first, call after: due() may move any slot, including ones in this list.
    for (uint32_t s = heads_[b]; s != kNil;) {
      Node& n = nodes_[s];
      const uint32_t next = n.next;
      unlink(s);
      fired_.push_back({s, n.gen, n.deadline_ms});
      s = next;
    }
    for (const Entry& e : fired_) due(e);
    fired_.clear();
    // Thousands of connections can share a millisecond (a ramp); that array is let go.
    if (fired_.capacity() > kKeptCapacity) std::vector<Entry>().swap(fired_);
  }

  Level& level_of_bucket(uint32_t b) {
    unsigned l = kLevels - 1;
    while (levels_[l].first > b) --l;
    return levels_[l];
  }

  void link(uint32_t slot, uint32_t b) {
    Node& n = nodes_[slot];
    n.bucket = b;
    n.prev = kNil;
    n.next = heads_[b];
    if (n.next != kNil) nodes_[n.next].prev = slot;
    if (heads_[b] == kNil) {
      Level& lv = level_of_bucket(b);
      const uint32_t i = b - lv.first;
      lv.occupied[i / 64] |= uint64_t{1} << (i % 64);
    }
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
    if (heads_[n.bucket] == kNil) {
      Level& lv = level_of_bucket(n.bucket);
      const uint32_t i = n.bucket - lv.first;
      lv.occupied[i / 64] &= ~(uint64_t{1} << (i % 64));
    }
    n.bucket = n.prev = n.next = kNil;
  }

  int64_t current_;
  int64_t max_delta_ = 0;
  Level levels_[kLevels];
  std::vector<uint32_t> heads_;  // first slot of each bucket's list, all levels
  std::vector<Node> nodes_;      // one per slot
  std::vector<Entry> fired_;
};

}  // namespace roomcast::detail
