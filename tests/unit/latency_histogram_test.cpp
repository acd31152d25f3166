// The engine's latency histogram against exact percentiles of the same data.
#include "util/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

using roomcast::detail::LatencyHistogram;

TEST(LatencyHistogram, BucketBoundsContainTheirValues) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    uint64_t v = rng() >> (rng() % 40 + 24);  // spread over many magnitudes
    int b = LatencyHistogram::bucket_of(v);
    ASSERT_LE(v, LatencyHistogram::bucket_high(b)) << v;
    if (b > 0) ASSERT_GT(v, LatencyHistogram::bucket_high(b - 1)) << v;
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
  EXPECT_EQ(snap.total, all.size());
  EXPECT_EQ(snap.max, all.back());
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    uint64_t exact = all[size_t(p / 100.0 * double(all.size()))];
    uint64_t got = snap.percentile(p);
    double err = std::abs(double(got) - double(exact)) / double(exact);
    EXPECT_LE(err, 1.0 / LatencyHistogram::kSub + 1e-9) << "p" << p << " exact " << exact << " got " << got;
  }
}

TEST(LatencyHistogram, MergeAndClear) {
  LatencyHistogram a, b;
  for (int i = 1; i <= 100; ++i) a.record(i * 1000);
  for (int i = 101; i <= 200; ++i) b.record(i * 1000);
  auto s = a.snapshot();
  s.merge(b.snapshot());
  EXPECT_EQ(s.total, 200u);
  EXPECT_NEAR(double(s.percentile(50)), 100000.0, 100000.0 / 64);
  a.clear();
  EXPECT_EQ(a.snapshot().total, 0u);
  EXPECT_EQ(a.snapshot().percentile(99), 0u);
}
