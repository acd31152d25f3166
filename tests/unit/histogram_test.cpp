// The bench harness's latency histogram (util/log_histogram.h at the harness's precision)
// against exact answers from sorted arrays.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "../../bench/harness/histogram.h"

using roomcast::bench::Histogram;

namespace {

// Nearest-rank percentile of sorted data, the definition the histogram approximates.
uint64_t exact_percentile(const std::vector<uint64_t>& sorted, double pct) {
  if (pct <= 0) return sorted.front();
  double r = pct / 100.0 * double(sorted.size());
  size_t rank = size_t(r);
  if (double(rank) < r) ++rank;
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

void check_against_exact(std::vector<uint64_t> values) {
  Histogram h;
  for (uint64_t v : values) h.record(v);
  std::sort(values.begin(), values.end());
  ASSERT_EQ(h.count(), values.size());
  EXPECT_EQ(h.min(), values.front());
  EXPECT_EQ(h.max(), values.back());
  for (double p : {0.0, 0.1, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    const uint64_t exact = exact_percentile(values, p);
    const uint64_t got = h.percentile(p);
    EXPECT_GE(got, exact) << "p" << p;
    // Relative error bound of the layout: 1/128 of the value (plus the unit below 256).
    EXPECT_LE(double(got), double(exact) * (1.0 + 1.0 / 128.0) + 1.0) << "p" << p << " exact " << exact;
  }
}

}  // namespace

TEST(Histogram, BucketsTileTheRangeWithBoundedWidth) {
  for (size_t i = 0; i + 1 < Histogram::kBuckets; ++i) {
    ASSERT_EQ(Histogram::highest_of(i) + 1, Histogram::lowest_of(i + 1)) << i;
    ASSERT_EQ(Histogram::index_of(Histogram::lowest_of(i)), i);
    ASSERT_EQ(Histogram::index_of(Histogram::highest_of(i)), i);
    const uint64_t width = Histogram::highest_of(i) - Histogram::lowest_of(i) + 1;
    if (Histogram::lowest_of(i) >= Histogram::kExactBelow) ASSERT_LE(width * 128, Histogram::lowest_of(i)) << i;
    else ASSERT_EQ(width, 1u);
  }
  EXPECT_EQ(Histogram::highest_of(Histogram::kBuckets - 1), Histogram::kMaxValue);
  EXPECT_GE(Histogram::kMaxValue, uint64_t(60) * 1'000'000'000);  // 60 s in ns fits
}

TEST(Histogram, EmptyReportsZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(50), 0u);
  EXPECT_EQ(h.percentile(100), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (uint64_t v = 0; v < 256; ++v) h.record(v);
  for (uint64_t v = 1; v <= 256; ++v) EXPECT_EQ(h.percentile(100.0 * double(v) / 256.0), v - 1);
}

TEST(Histogram, UniformRandomMatchesExactWithinBound) {
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<uint64_t> d(1'000, 60'000'000'000ull);  // 1 us .. 60 s
  std::vector<uint64_t> v(200'000);
  for (auto& x : v) x = d(rng);
  check_against_exact(std::move(v));
}

TEST(Histogram, HeavyTailedRandomMatchesExactWithinBound) {
  // Latency-like: most values near 50 us, a long tail to seconds.
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> d(std::log(50'000.0), 1.5);
  std::vector<uint64_t> v(300'000);
  for (auto& x : v) x = uint64_t(std::min(d(rng), 6e10));
  check_against_exact(std::move(v));
}

TEST(Histogram, FewDistinctValuesMatchExactly) {
  std::mt19937_64 rng(3);
  const uint64_t choices[] = {5, 300, 12'345, 1'000'000, 777'777'777};
  std::vector<uint64_t> v(10'001);
  for (auto& x : v) x = choices[rng() % 5];
  check_against_exact(std::move(v));
}

TEST(Histogram, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(11);
  Histogram a, b, all;
  for (int i = 0; i < 50'000; ++i) {
    const uint64_t v = rng() % 10'000'000'000ull;
    (i % 3 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.sum(), all.sum());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (size_t i = 0; i < Histogram::kBuckets; ++i) ASSERT_EQ(a.bucket(i), all.bucket(i));
  for (double p : {50.0, 99.0, 99.9}) EXPECT_EQ(a.percentile(p), all.percentile(p));
}

TEST(Histogram, SinceGivesWhatWasRecordedInBetween) {
  Histogram h;
  for (int i = 0; i < 1000; ++i) h.record(1'000);  // 1 us
  const Histogram earlier = h;
  for (int i = 0; i < 100; ++i) h.record(5'000'000);  // 5 ms
  const Histogram d = h.since(earlier);
  EXPECT_EQ(d.count(), 100u);
  EXPECT_GE(d.percentile(50), 5'000'000u);
  EXPECT_LE(d.percentile(50), 5'000'000u + 5'000'000u / 128);
  EXPECT_EQ(h.since(h).count(), 0u);
}

TEST(Histogram, ValuesAboveTheRangeAreClampedAndCounted) {
  Histogram h;
  h.record(Histogram::kMaxValue + 12345);
  h.record(10);
  EXPECT_EQ(h.overflow(), 1u);
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.max(), Histogram::kMaxValue);
  EXPECT_EQ(h.percentile(100), Histogram::kMaxValue);
}

TEST(Histogram, RawStateRoundTrips) {
  std::mt19937_64 rng(5);
  Histogram h, copy;
  for (int i = 0; i < 1000; ++i) h.record(rng() % 1'000'000);
  for (size_t i = 0; i < Histogram::kBuckets; ++i) copy.set_raw(i, h.bucket(i));
  copy.set_totals(h.count(), h.sum(), h.min(), h.max(), h.overflow());
  for (double p : {1.0, 50.0, 99.0, 100.0}) EXPECT_EQ(copy.percentile(p), h.percentile(p));
  EXPECT_EQ(copy.mean(), h.mean());
}
