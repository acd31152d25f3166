// Cost of recording one latency sample in the bench harness's histogram (on the receive
// path of every delivered message), and of a percentile query; the same for the engine's
// shard-owned instantiation of the template (relaxed atomic cells, read by other threads).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "../harness/histogram.h"
#include "util/latency_histogram.h"

using roomcast::bench::Histogram;

static void BM_HistogramRecord(benchmark::State& state) {
  std::mt19937_64 rng(1);
  std::lognormal_distribution<double> d(std::log(50'000.0), 1.0);
  std::vector<uint64_t> values(4096);
  for (auto& v : values) v = uint64_t(d(rng));
  Histogram h;
  size_t i = 0;
  for (auto _ : state) {
    h.record(values[i++ & 4095]);
    benchmark::DoNotOptimize(h);
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_HistogramRecord);

static void BM_HistogramPercentile(benchmark::State& state) {
  std::mt19937_64 rng(2);
  Histogram h;
  for (int i = 0; i < 1'000'000; ++i) h.record(rng() % 100'000'000);
  for (auto _ : state) benchmark::DoNotOptimize(h.percentile(99.9));
}
BENCHMARK(BM_HistogramPercentile);

static void BM_HistogramMerge(benchmark::State& state) {
  Histogram a, b;
  for (int i = 0; i < 1000; ++i) b.record(uint64_t(i) * 1000);
  for (auto _ : state) {
    a.merge(b);
    benchmark::DoNotOptimize(a);
  }
}
BENCHMARK(BM_HistogramMerge);

// The broadcast profiler's: it records once per stage per profiled broadcast per shard.
static void BM_LatencyHistogramRecord(benchmark::State& state) {
  std::mt19937_64 rng(1);
  std::lognormal_distribution<double> d(std::log(50'000.0), 1.0);
  std::vector<int64_t> values(4096);
  for (auto& v : values) v = int64_t(d(rng));
  auto h = std::make_unique<roomcast::detail::LatencyHistogram>();
  size_t i = 0;
  for (auto _ : state) {
    h->record(values[i++ & 4095]);
    benchmark::DoNotOptimize(h.get());
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_LatencyHistogramRecord);

static void BM_LatencyHistogramSnapshot(benchmark::State& state) {
  std::mt19937_64 rng(2);
  auto h = std::make_unique<roomcast::detail::LatencyHistogram>();
  for (int i = 0; i < 100'000; ++i) h->record(rng() % 100'000'000);
  for (auto _ : state) benchmark::DoNotOptimize(h->snapshot().percentile(99.9));
}
BENCHMARK(BM_LatencyHistogramSnapshot);

// Baselines, side by side: keeping every sample (the cheapest possible record, but memory
// grows with the run and a percentile needs a selection over all of them).
static void BM_BaselineVectorRecord(benchmark::State& state) {
  std::mt19937_64 rng(1);
  std::lognormal_distribution<double> d(std::log(50'000.0), 1.0);
  std::vector<uint64_t> values(4096);
  for (auto& v : values) v = uint64_t(d(rng));
  std::vector<uint64_t> samples;
  samples.reserve(size_t(1) << 20);
  size_t i = 0;
  for (auto _ : state) {
    if (samples.size() == samples.capacity()) samples.clear();  // bounded, like a run
    samples.push_back(values[i++ & 4095]);
    benchmark::DoNotOptimize(samples.data());
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_BaselineVectorRecord);

static void BM_BaselineVectorPercentile(benchmark::State& state) {
  std::mt19937_64 rng(2);
  std::vector<uint64_t> samples(1'000'000);
  for (auto& v : samples) v = rng() % 100'000'000;
  std::vector<uint64_t> work(samples.size());
  for (auto _ : state) {
    work = samples;  // nth_element reorders; each query starts from the recorded order
    auto k = work.begin() + std::ptrdiff_t(double(work.size() - 1) * 0.999);
    std::nth_element(work.begin(), k, work.end());
    benchmark::DoNotOptimize(*k);
  }
}
BENCHMARK(BM_BaselineVectorPercentile);
