// Latency histogram with bounded relative error. Pure: no I/O, no clocks.
#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace roomcast::bench {

// HdrHistogram's log-linear layout: values below 256 have their own bucket; above that,
// each power of two is split into 128 equal sub-buckets. A bucket's width is therefore
// at most 1/128 of its lowest value, so any reported value is within 0.79% of the true
// one (better than 2 significant digits) from 1 ns up to 2^37 ns (137 s), in a fixed
// 31 KiB array: recording is an index computation and an increment, never an allocation.
class Histogram {
 public:
  static constexpr int kSubBits = 8;
  static constexpr uint64_t kSub = uint64_t(1) << kSubBits;  // 256
  static constexpr uint64_t kHalf = kSub / 2;                // 128
  static constexpr int kMaxMsb = 36;
  static constexpr size_t kBuckets = size_t(kMaxMsb - kSubBits + 1) * kHalf + kSub;
  static constexpr uint64_t kMaxValue = (uint64_t(1) << (kMaxMsb + 1)) - 1;

  static size_t index_of(uint64_t v) {
    if (v > kMaxValue) v = kMaxValue;
    if (v < kSub) return size_t(v);
    const int msb = 63 - __builtin_clzll(v);
    const int b = msb - (kSubBits - 1);
    return size_t(b) * kHalf + size_t(v >> b);
  }
  static uint64_t lowest_of(size_t i) {
    if (i < kSub) return i;
    const size_t b = i / kHalf - 1;
    return uint64_t(i - b * kHalf) << b;
  }
  static uint64_t highest_of(size_t i) {
    if (i < kSub) return i;
    const size_t b = i / kHalf - 1;
    return ((uint64_t(i - b * kHalf) + 1) << b) - 1;
  }

  void record(uint64_t v) { record_n(v, 1); }
  void record_n(uint64_t v, uint64_t n) {
    if (n == 0) return;
    if (v > kMaxValue) {
      overflow_ += n;
      v = kMaxValue;
    }
    counts_[index_of(v)] += n;
    count_ += n;
    sum_ += v * n;
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }

  void merge(const Histogram& o) {
    if (o.count_ == 0) return;
    for (size_t i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    count_ += o.count_;
    sum_ += o.sum_;
    overflow_ += o.overflow_;
    min_ = std::min(min_, o.min_);
    max_ = std::max(max_, o.max_);
  }

  // This histogram minus an earlier snapshot of the same (growing) histogram: what was
  // recorded in between. min/max become bucket bounds, since exact extremes are lost.
  Histogram since(const Histogram& earlier) const {
    Histogram d;
    for (size_t i = 0; i < kBuckets; ++i) {
      const uint64_t c = counts_[i] >= earlier.counts_[i] ? counts_[i] - earlier.counts_[i] : 0;
      if (c == 0) continue;
      d.counts_[i] = c;
      d.count_ += c;
      d.sum_ += c * lowest_of(i);
      d.min_ = std::min(d.min_, lowest_of(i));
      d.max_ = std::max(d.max_, std::min(highest_of(i), max_));
    }
    return d;
  }

  // The value at or below which `pct` percent of the recorded values lie (nearest rank),
  // reported as its bucket's highest value (never above the recorded maximum), so it is
  // never below the exact answer and at most 1/128 above it. 0 when empty.
  uint64_t percentile(double pct) const {
    if (count_ == 0) return 0;
    if (pct <= 0) return min_;
    double r = pct / 100.0 * double(count_);
    uint64_t rank = uint64_t(r);
    if (double(rank) < r) ++rank;
    rank = std::clamp<uint64_t>(rank, 1, count_);
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::max(std::min(highest_of(i), max_), min_);
    }
    return max_;
  }

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  uint64_t sum() const { return sum_; }
  uint64_t overflow() const { return overflow_; }
  double mean() const { return count_ ? double(sum_) / double(count_) : 0.0; }
  uint64_t bucket(size_t i) const { return counts_[i]; }

  // Rebuilds from a copy of the raw state (counts taken from shared memory).
  void set_raw(size_t i, uint64_t c) { counts_[i] = c; }
  void set_totals(uint64_t count, uint64_t sum, uint64_t min, uint64_t max, uint64_t overflow) {
    count_ = count;
    sum_ = sum;
    min_ = count ? min : std::numeric_limits<uint64_t>::max();
    max_ = max;
    overflow_ = overflow;
  }

  void reset() { *this = Histogram(); }

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = std::numeric_limits<uint64_t>::max();
  uint64_t max_ = 0;
  uint64_t overflow_ = 0;
};

}  // namespace roomcast::bench
