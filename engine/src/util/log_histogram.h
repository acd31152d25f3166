// Log-linear histogram of non-negative integers (latencies in ns), with bounded relative
// error. Pure: no I/O, no clocks. The engine's broadcast profiler and the bench harness
// both instantiate this one template (util/latency_histogram.h, bench/harness/histogram.h),
// each with the resolution and range it needs.
#pragma once
#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace roomcast::detail {

// A count in a histogram used by one thread only: a plain integer.
struct PlainCell {
  uint64_t v = 0;
  uint64_t get() const { return v; }
  void set(uint64_t x) { v = x; }
};

// A count written by one owner thread and read by any: a relaxed atomic updated with
// load + store, not a read-modify-write (only the owner writes), so recording costs the same
// instructions as a plain integer on x86 and a concurrent reader never sees a torn value.
struct OwnedCell {
  std::atomic<uint64_t> v{0};
  OwnedCell() = default;
  explicit OwnedCell(uint64_t x) : v(x) {}
  OwnedCell(const OwnedCell&) = delete;
  OwnedCell& operator=(const OwnedCell&) = delete;
  uint64_t get() const { return v.load(std::memory_order_relaxed); }
  void set(uint64_t x) { v.store(x, std::memory_order_relaxed); }
};

// HdrHistogram's layout. Values below 2^(P+1) have a bucket each; above, every power of two
// [2^m, 2^(m+1)) is split into 2^P equal sub-buckets, so a bucket is at most 2^-P of its
// lowest value wide and any reported value is within that relative error of the true one.
// Values above 2^(kMaxMsb+1) - 1 are clamped to it and counted in overflow().
//
// `Cell` says who may touch the counts: PlainCell for one thread (copyable; merge, since),
// OwnedCell for one writer with concurrent readers, who take snapshot() to read.
template <int kPrecisionBits, int kMaxMsb, class Cell = PlainCell>
class LogHistogram {
  static_assert(kPrecisionBits >= 1 && kPrecisionBits < kMaxMsb && kMaxMsb < 63);

 public:
  static constexpr uint64_t kSubBuckets = uint64_t(1) << kPrecisionBits;  // per power of two
  static constexpr uint64_t kExactBelow = kSubBuckets * 2;                // one bucket per value
  static constexpr size_t kBuckets = size_t(kMaxMsb - kPrecisionBits) * kSubBuckets + kExactBelow;
  static constexpr uint64_t kMaxValue = (uint64_t(1) << (kMaxMsb + 1)) - 1;

  using Snapshot = LogHistogram<kPrecisionBits, kMaxMsb, PlainCell>;

  // Bucket of v (v <= kMaxValue): the shift that keeps P+1 significant bits, then the bits.
  static constexpr size_t index_of(uint64_t v) {
    if (v < kExactBelow) return size_t(v);
    const int shift = (63 - std::countl_zero(v)) - kPrecisionBits;
    return size_t(shift) * kSubBuckets + size_t(v >> shift);
  }
  static constexpr uint64_t lowest_of(size_t i) {
    if (i < kExactBelow) return i;
    const size_t shift = i / kSubBuckets - 1;
    return uint64_t(i - shift * kSubBuckets) << shift;
  }
  // What a percentile falling in bucket i reports.
  static constexpr uint64_t highest_of(size_t i) {
    if (i < kExactBelow) return i;
    const size_t shift = i / kSubBuckets - 1;
    return ((uint64_t(i - shift * kSubBuckets) + 1) << shift) - 1;
  }

  LogHistogram() { min_.set(kNoMin); }

  // Any integer; a negative one (a difference of two clock reads on different threads)
  // counts as 0.
  template <std::integral T>
  void record(T v) {
    if constexpr (std::is_signed_v<T>)
      record_n(v < 0 ? 0 : uint64_t(v), 1);
    else
      record_n(uint64_t(v), 1);
  }
  void record_n(uint64_t v, uint64_t n) {
    if (n == 0) return;
    if (v > kMaxValue) [[unlikely]] {
      add(overflow_, n);
      v = kMaxValue;
    }
    add(counts_[index_of(v)], n);
    add(count_, n);
    add(sum_, v * n);
    if (v < min_.get()) min_.set(v);
    if (v > max_.get()) max_.set(v);
  }

  // Writer side only: a concurrent reader may see a partly cleared histogram.
  void clear() {
    for (Cell& c : counts_) c.set(0);
    count_.set(0);
    sum_.set(0);
    overflow_.set(0);
    min_.set(kNoMin);
    max_.set(0);
  }

  // A plain copy, for merging and percentiles; taken by any thread. Taken while the owner
  // records, it may be a few samples off between buckets and totals, never torn.
  Snapshot snapshot() const {
    Snapshot s;
    for (size_t i = 0; i < kBuckets; ++i) s.set_raw(i, counts_[i].get());
    s.set_totals(count_.get(), sum_.get(), min_.get(), max_.get(), overflow_.get());
    return s;
  }

  template <class C>
  void merge(const LogHistogram<kPrecisionBits, kMaxMsb, C>& o) {
    if (o.count() == 0) return;
    for (size_t i = 0; i < kBuckets; ++i) add(counts_[i], o.bucket(i));
    add(count_, o.count());
    add(sum_, o.sum());
    add(overflow_, o.overflow());
    if (o.min() < min_.get()) min_.set(o.min());
    if (o.max() > max_.get()) max_.set(o.max());
  }

  // This histogram minus an earlier copy of the same (growing) histogram: what was recorded
  // in between. min/max become bucket bounds, since exact extremes are lost.
  Snapshot since(const Snapshot& earlier) const {
    Snapshot d;
    uint64_t count = 0, sum = 0, lo = kNoMin, hi = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      const uint64_t now = counts_[i].get(), then = earlier.bucket(i);
      const uint64_t c = now >= then ? now - then : 0;
      if (c == 0) continue;
      d.set_raw(i, c);
      count += c;
      sum += c * lowest_of(i);
      lo = std::min(lo, lowest_of(i));
      hi = std::max(hi, std::min(highest_of(i), max_.get()));
    }
    d.set_totals(count, sum, lo, hi, 0);
    return d;
  }

  // The value at or below which `pct` percent of the recorded values lie (nearest rank),
  // reported as its bucket's highest value clamped to [min, max]: never below the exact
  // answer and at most 2^-P above it. 0 when empty.
  uint64_t percentile(double pct) const {
    const uint64_t n = count_.get();
    if (n == 0) return 0;
    if (pct <= 0) return min();
    const double r = pct / 100.0 * double(n);
    uint64_t rank = uint64_t(r);
    if (double(rank) < r) ++rank;
    rank = std::clamp<uint64_t>(rank, 1, n);
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i].get();
      if (seen >= rank) return std::max(std::min(highest_of(i), max()), min());
    }
    return max();
  }

  uint64_t count() const { return count_.get(); }
  uint64_t min() const { return count_.get() ? min_.get() : 0; }
  uint64_t max() const { return max_.get(); }
  uint64_t sum() const { return sum_.get(); }
  uint64_t overflow() const { return overflow_.get(); }
  double mean() const { return count() ? double(sum()) / double(count()) : 0.0; }
  uint64_t bucket(size_t i) const { return counts_[i].get(); }

  // Rebuilds from a copy of the raw state (e.g. counts kept in shared memory).
  void set_raw(size_t i, uint64_t c) { counts_[i].set(c); }
  void set_totals(uint64_t count, uint64_t sum, uint64_t min, uint64_t max, uint64_t overflow) {
    count_.set(count);
    sum_.set(sum);
    min_.set(count ? min : kNoMin);
    max_.set(max);
    overflow_.set(overflow);
  }

 private:
  static constexpr uint64_t kNoMin = std::numeric_limits<uint64_t>::max();
  static void add(Cell& c, uint64_t n) { c.set(c.get() + n); }

  std::array<Cell, kBuckets> counts_{};
  Cell count_, sum_, min_, max_, overflow_;
};

}  // namespace roomcast::detail
