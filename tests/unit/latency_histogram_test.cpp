// The engine's latency histogram (one writer, concurrent readers) against exact percentiles
// of the same data, and against the single-thread instantiation of the same template.
#include "util/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

using roomcast::detail::LatencyHistogram;

TEST(LatencyHistogram, BucketBoundsContainTheirValues) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    uint64_t v = rng() >> (rng() % 40 + 24);  // spread over many magnitudes
    size_t b = LatencyHistogram::index_of(v);
    ASSERT_LE(v, LatencyHistogram::highest_of(b)) << v;
    if (b > 0) ASSERT_GT(v, LatencyHistogram::highest_of(b - 1)) << v;
  }
}

TEST(LatencyHistogram, PercentilesWithinRelativeErrorOfExact) {
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> dist(10.0, 1.5);  // ~20 us median, long tail
  LatencyHistogram h;
  std::vector<uint64_t> all;
  for (int i = 0; i < 200000; ++i) {
    uint64_t v = uint64_t(dist(rng));
    h.record(int64_t(v));
    all.push_back(v);
  }
  std::sort(all.begin(), all.end());
  auto snap = h.snapshot();
  EXPECT_EQ(snap.count(), all.size());
  EXPECT_EQ(snap.max(), all.back());
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    uint64_t exact = all[size_t(p / 100.0 * double(all.size()))];
    uint64_t got = snap.percentile(p);
    double err = std::abs(double(got) - double(exact)) / double(exact);
    EXPECT_LE(err, 1.0 / double(LatencyHistogram::kSubBuckets) + 1e-9) << "p" << p << " exact " << exact << " got " << got;
  }
}

TEST(LatencyHistogram, MergeAndClear) {
  LatencyHistogram a, b;
  for (int i = 1; i <= 100; ++i) a.record(i * 1000);
  for (int i = 101; i <= 200; ++i) b.record(i * 1000);
  auto s = a.snapshot();
  s.merge(b.snapshot());
  EXPECT_EQ(s.count(), 200u);
  EXPECT_NEAR(double(s.percentile(50)), 100000.0, 100000.0 / 64);
  a.clear();
  EXPECT_EQ(a.snapshot().count(), 0u);
  EXPECT_EQ(a.snapshot().percentile(99), 0u);
}

TEST(LatencyHistogram, SnapshotEqualsAPlainHistogramOfTheSameValues) {
  // The shard-owned flavour differs from the harness's only in who may touch the counts.
  std::mt19937_64 rng(3);
  LatencyHistogram owned;
  LatencyHistogram::Snapshot plain;
  for (int i = 0; i < 50000; ++i) {
    const int64_t v = int64_t(rng() >> (rng() % 50 + 14));
    owned.record(v);
    plain.record(v);
  }
  owned.record(int64_t(-5));  // a clock read behind another: counts as 0
  plain.record(uint64_t(0));
  const auto s = owned.snapshot();
  ASSERT_EQ(s.count(), plain.count());
  EXPECT_EQ(s.sum(), plain.sum());
  EXPECT_EQ(s.min(), 0u);
  EXPECT_EQ(s.max(), plain.max());
  EXPECT_EQ(s.overflow(), plain.overflow());
  for (size_t i = 0; i < LatencyHistogram::kBuckets; ++i) ASSERT_EQ(s.bucket(i), plain.bucket(i)) << i;
  for (double p : {1.0, 50.0, 99.0, 99.99}) EXPECT_EQ(s.percentile(p), plain.percentile(p));
}
