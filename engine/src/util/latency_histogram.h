// Log-linear latency histogram in nanoseconds: one writer (its shard), any number of readers.
//
// Buckets: values below 2^kSubBits ns are exact; above, each power of two is split into
// 2^kSubBits linear sub-buckets, so the relative error is at most 2^-kSubBits (~1.6%).
// Counters are relaxed atomics written with load+store (no read-modify-write: only the
// owning shard writes), so recording costs a few instructions and reading is race-free.
#pragma once
#include <atomic>
#include <bit>
#include <cstdint>
#include <vector>

namespace roomcast::detail {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 6;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kMaxExp = 40;  // up to ~2^40 ns = 18 minutes
  static constexpr int kBuckets = (kMaxExp - kSubBits + 1) * kSub;

  static int bucket_of(uint64_t ns) {
    if (ns < uint64_t(kSub)) return int(ns);
    int exp = 63 - std::countl_zero(ns);  // >= kSubBits
    if (exp > kMaxExp) return kBuckets - 1;
    int sub = int((ns >> (exp - kSubBits)) & (kSub - 1));
    return (exp - kSubBits + 1) * kSub + sub;
  }
  // The upper edge of bucket b: what a percentile falling in b reports.
  static uint64_t bucket_high(int b) {
    if (b < kSub) return uint64_t(b);
    int exp = b / kSub - 1 + kSubBits;
    uint64_t sub = uint64_t(b % kSub);
    return ((uint64_t(kSub) + sub + 1) << (exp - kSubBits)) - 1;
  }

  void record(int64_t ns) {
    uint64_t v = ns < 0 ? 0 : uint64_t(ns);
    auto& c = counts_[size_t(bucket_of(v))];
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    total_.store(total_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    sum_.store(sum_.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
    if (v > max_.load(std::memory_order_relaxed)) max_.store(v, std::memory_order_relaxed);
  }

  // Writer side only (the owning shard): readers may see a partly cleared histogram.
  void clear() {
    for (auto& c : counts_) c.store(0, std::memory_order_relaxed);
    total_.store(0, std::memory_order_relaxed);
    sum_.store(0, std::memory_order_relaxed);
    max_.store(0, std::memory_order_relaxed);
  }

  // A plain copy for merging and percentiles (taken by a reader).
  struct Snapshot {
    std::vector<uint64_t> counts = std::vector<uint64_t>(kBuckets, 0);
    uint64_t total = 0, sum = 0, max = 0;
    void merge(const Snapshot& o) {
      for (int i = 0; i < kBuckets; ++i) counts[size_t(i)] += o.counts[size_t(i)];
      total += o.total;
      sum += o.sum;
      if (o.max > max) max = o.max;
    }
    uint64_t percentile(double p) const {
      if (total == 0) return 0;
      uint64_t rank = uint64_t(p / 100.0 * double(total));
      if (rank >= total) rank = total - 1;
      uint64_t seen = 0;
      for (int i = 0; i < kBuckets; ++i) {
        seen += counts[size_t(i)];
        if (seen > rank) {
          uint64_t hi = bucket_high(i);
          return hi < max ? hi : max;
        }
      }
      return max;
    }
  };

  Snapshot snapshot() const {
    Snapshot s;
    for (int i = 0; i < kBuckets; ++i) s.counts[size_t(i)] = counts_[size_t(i)].load(std::memory_order_relaxed);
    s.total = total_.load(std::memory_order_relaxed);
    s.sum = sum_.load(std::memory_order_relaxed);
    s.max = max_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  std::vector<std::atomic<uint64_t>> counts_ = std::vector<std::atomic<uint64_t>>(kBuckets);
  std::atomic<uint64_t> total_{0}, sum_{0}, max_{0};
};

}  // namespace roomcast::detail
