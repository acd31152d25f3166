// Per (receiver, publisher) accounting of sequence numbers: unique deliveries (for loss),
// duplicates and order violations. Pure, 24 bytes, no allocation.
#pragma once
#include <cstdint>

namespace roomcast::bench {

// Socket.IO over one WebSocket promises per-sender order, so sequence numbers should
// arrive strictly increasing. A 64-seq window below the highest seen tells a duplicate
// (already in the window) from a late arrival (a hole being filled: an order violation).
// Anything older than the window is counted as an order violation and assumed new: a
// server that reorders by more than 64 messages is broken either way.
class SeqTracker {
 public:
  enum class Result : uint8_t { InOrder, Gap, Late, TooOld, Duplicate };

  Result on(uint64_t seq) {
    if (seq >= next_) {
      const uint64_t shift = seq - next_ + 1;
      const bool gap = seq != next_;
      window_ = shift >= 64 ? 0 : window_ << shift;
      window_ |= 1;
      next_ = seq + 1;
      ++unique_;
      return gap ? Result::Gap : Result::InOrder;
    }
    const uint64_t k = next_ - 1 - seq;
    if (k >= 64) {
      ++unique_;
      return Result::TooOld;
    }
    const uint64_t bit = uint64_t(1) << k;
    if (window_ & bit) return Result::Duplicate;
    window_ |= bit;
    ++unique_;
    return Result::Late;
  }

  static bool is_order_violation(Result r) { return r == Result::Late || r == Result::TooOld; }

  uint64_t unique() const { return unique_; }
  uint64_t next_expected() const { return next_; }

 private:
  uint64_t next_ = 0;    // 1 + highest sequence number seen
  uint64_t window_ = 0;  // bit k: seq next_-1-k was seen
  uint64_t unique_ = 0;
};

}  // namespace roomcast::bench
