// The per-shard timer wheel: entries fire once their bucket's time has passed (later
// revolutions wait), and the memory a burst needed is given back once the burst is served.
#include "timer_wheel.h"

#include <gtest/gtest.h>

#include <vector>

using roomcast::detail::TimerWheel;

TEST(TimerWheel, FiresWhenDueAndKeepsLaterRevolutions) {
  TimerWheel w(0, 50, 16);  // 16 buckets of 50 ms: one revolution is 800 ms
  // Coarse: an entry fires when the wheel reaches its deadline's 50 ms tick; the caller
  // re-checks the exact deadline.
  w.schedule(1, 0, 170);        // tick 3
  w.schedule(2, 0, 170 + 800);  // tick 19: the same bucket, one revolution later
  std::vector<uint32_t> fired;
  auto due = [&](const TimerWheel::Entry& e) { fired.push_back(e.slot); };
  w.advance(149, due);
  EXPECT_TRUE(fired.empty());
  w.advance(150, due);
  EXPECT_EQ(fired, std::vector<uint32_t>{1});
  w.advance(949, due);
  EXPECT_EQ(fired, std::vector<uint32_t>{1});
  w.advance(950, due);
  EXPECT_EQ(fired, (std::vector<uint32_t>{1, 2}));
}

TEST(TimerWheel, PastDeadlinesFireOnTheNextTick) {
  TimerWheel w(1000, 50, 16);
  w.schedule(7, 0, 10);
  std::vector<uint32_t> fired;
  w.advance(1049, [&](const TimerWheel::Entry& e) { fired.push_back(e.slot); });
  EXPECT_TRUE(fired.empty());
  w.advance(1050, [&](const TimerWheel::Entry& e) { fired.push_back(e.slot); });
  EXPECT_EQ(fired, std::vector<uint32_t>{7});
}

// Bursts of 5,000 deadlines in one tick, at a different tick each time, many revolutions:
// before the fix the burst-sized array went round and round, so the wheel's memory grew with
// every burst that landed in a bucket it had not reached yet.
TEST(TimerWheel, MemoryABurstNeededIsGivenBackAfterItIsServed) {
  const uint32_t kBuckets = 64;
  TimerWheel w(0, 50, kBuckets);
  size_t fired = 0;
  auto due = [&](const TimerWheel::Entry&) { ++fired; };
  int64_t now = 0;
  for (int burst = 0; burst < 200; ++burst) {
    const int64_t at = now + 50 * (1 + burst % 7);
    for (uint32_t i = 0; i < 5000; ++i) w.schedule(i, 0, at);
    now += 50 * 11;
    w.advance(now, due);
  }
  w.advance(now + 50 * kBuckets * 2, due);  // a full revolution and more with nothing new
  EXPECT_EQ(fired, 200u * 5000u);
  EXPECT_LE(w.capacity(), size_t(kBuckets + 1) * TimerWheel::kKeptCapacity);
}
