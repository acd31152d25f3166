// Cost of the shard's timer wheel at 100,000 connections: the exact 1 ms hierarchical wheel
// (util/timer_wheel.h) against the coarse 50 ms wheel it replaced (coarse_timer_wheel.h).
//
//   Reschedule  a pong moves a connection's deadline pingInterval ahead (the most frequent op)
//   CancelSchedule  a connection closes and a new one takes its slot
//   Expire      the steady ping cycle: 100,000 deadlines spread over 25 s, each rescheduled
//               25 s ahead when it fires; the loop wakes when the wheel says (the exact wheel:
//               next_due_ms(); the coarse one: every 50 ms tick). Reports per fired deadline,
//               and wakes per simulated second (what an idle shard pays in wake-ups).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "coarse_timer_wheel.h"
#include "util/timer_wheel.h"

namespace {

using Exact = roomcast::detail::TimerWheel;
using Coarse = roomcast::bench::CoarseTimerWheel;

constexpr uint32_t kSlots = 100'000;
constexpr int64_t kInterval = 25'000;

template <class W>
void fill(W& w, int64_t now, std::mt19937_64& rng) {
  for (uint32_t s = 0; s < kSlots; ++s) w.schedule(s, 1, now + 1 + int64_t(rng() % kInterval));
}

template <class W>
void Reschedule(benchmark::State& state) {
  std::mt19937_64 rng(1);
  const int64_t now = 1'000'000;
  W w(now);
  fill(w, now, rng);
  uint32_t s = 0;
  for (auto _ : state) {
    w.schedule(s, 2, now + kInterval + (s & 1023));
    s = s + 7919 < kSlots ? s + 7919 : s + 7919 - kSlots;  // jump around, as pongs do
  }
  state.counters["per_op"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate |
                                                                              benchmark::Counter::kInvert);
}

template <class W>
void CancelSchedule(benchmark::State& state) {
  std::mt19937_64 rng(2);
  const int64_t now = 1'000'000;
  W w(now);
  fill(w, now, rng);
  uint32_t s = 0;
  for (auto _ : state) {
    w.cancel(s);
    w.schedule(s, 3, now + 10'000 + (s & 4095));  // a new connection's handshake timeout
    s = s + 7919 < kSlots ? s + 7919 : s + 7919 - kSlots;
  }
  state.counters["per_op"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate |
                                                                              benchmark::Counter::kInvert);
}

int64_t next_wake(const Exact& w, int64_t) { return w.next_due_ms(); }
int64_t next_wake(const Coarse& w, int64_t) { return w.next_tick_ms(); }

template <class W>
void Expire(benchmark::State& state) {
  std::mt19937_64 rng(3);
  int64_t now = 1'000'000;
  W w(now);
  fill(w, now, rng);
  uint64_t fired = 0, wakes = 0;
  const int64_t start = now;
  for (auto _ : state) {
    // One wake of the loop: to when the wheel says, fire what is due, reschedule it.
    now = next_wake(w, now);
    ++wakes;
    w.advance(now, [&](const auto& e) {
      ++fired;
      w.schedule(e.slot, e.gen + 1, now + kInterval);
    });
  }
  const double seconds = double(now - start) / 1000.0;
  state.counters["fired"] = double(fired);
  state.counters["ns_per_fired"] = benchmark::Counter(double(fired), benchmark::Counter::kIsRate |
                                                                       benchmark::Counter::kInvert);
  state.counters["wakes_per_s"] = seconds > 0 ? double(wakes) / seconds : 0;
}

BENCHMARK(Reschedule<Exact>)->Name("Reschedule/exact_1ms");
BENCHMARK(Reschedule<Coarse>)->Name("Reschedule/coarse_50ms");
BENCHMARK(CancelSchedule<Exact>)->Name("CancelSchedule/exact_1ms");
BENCHMARK(CancelSchedule<Coarse>)->Name("CancelSchedule/coarse_50ms");
BENCHMARK(Expire<Exact>)->Name("Expire/exact_1ms");
BENCHMARK(Expire<Coarse>)->Name("Expire/coarse_50ms");

}  // namespace
