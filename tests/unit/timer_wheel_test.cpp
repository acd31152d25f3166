// The per-shard timer wheel: a slot's one deadline fires once its tick has come (later
// revolutions wait), rescheduling replaces it, and the wheel's memory is per slot: it does
// not grow with reschedules, bursts or churn. Randomized programs against a naive model.
#include "util/timer_wheel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "timer_wheel_model.h"

using roomcast::detail::TimerWheel;

namespace {
std::vector<uint32_t> slots_of(const std::vector<TimerWheel::Entry>& v) {
  std::vector<uint32_t> out;
  for (const auto& e : v) out.push_back(e.slot);
  return out;
}
}  // namespace

TEST(TimerWheel, FiresWhenDueAndKeepsLaterRevolutions) {
  TimerWheel w(0, 50, 16);  // 16 buckets of 50 ms: one revolution is 800 ms
  // Coarse: a deadline fires when the wheel reaches its 50 ms tick; the caller re-checks the
  // exact time.
  w.schedule(1, 0, 170);        // tick 3
  w.schedule(2, 0, 170 + 800);  // tick 19: the same bucket, one revolution later
  std::vector<TimerWheel::Entry> fired;
  auto due = [&](const TimerWheel::Entry& e) { fired.push_back(e); };
  w.advance(149, due);
  EXPECT_TRUE(fired.empty());
  w.advance(150, due);
  ASSERT_EQ(slots_of(fired), std::vector<uint32_t>{1});
  EXPECT_EQ(fired[0].deadline_ms, 170);
  w.advance(949, due);
  EXPECT_EQ(slots_of(fired), std::vector<uint32_t>{1});
  w.advance(950, due);
  EXPECT_EQ(slots_of(fired), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(w.deadline(1), 0);
  EXPECT_EQ(w.deadline(2), 0);
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

TEST(TimerWheel, ReschedulingReplacesAndCancelForgets) {
  TimerWheel w(0, 50, 16);
  w.schedule(3, 1, 100);
  w.schedule(3, 2, 400);  // replaces: nothing at 100
  w.schedule(4, 1, 100);
  w.cancel(4);
  w.cancel(99);  // never scheduled: nothing happens
  EXPECT_EQ(w.deadline(3), 400);
  EXPECT_EQ(w.deadline(4), 0);
  std::vector<TimerWheel::Entry> fired;
  auto due = [&](const TimerWheel::Entry& e) { fired.push_back(e); };
  w.advance(399, due);
  EXPECT_TRUE(fired.empty());
  w.advance(400, due);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].slot, 3u);
  EXPECT_EQ(fired[0].gen, 2u);
  EXPECT_EQ(fired[0].deadline_ms, 400);
}

// due() may reschedule the slot it is told about and move others in the same bucket.
TEST(TimerWheel, DueMayRescheduleAnySlot) {
  TimerWheel w(0, 50, 16);
  w.schedule(1, 0, 100);
  w.schedule(2, 0, 100);
  w.schedule(3, 0, 100 + 800);  // same bucket, next revolution
  std::vector<uint32_t> fired;
  w.advance(100, [&](const TimerWheel::Entry& e) {
    fired.push_back(e.slot);
    w.schedule(e.slot, e.gen + 1, 200);
    w.schedule(3, 0, 150);  // pulls 3 forward, out of the bucket being served
  });
  EXPECT_EQ(fired.size(), 2u);
  fired.clear();
  w.advance(200, [&](const TimerWheel::Entry& e) { fired.push_back(e.slot); });
  std::sort(fired.begin(), fired.end());
  EXPECT_EQ(fired, (std::vector<uint32_t>{1, 2, 3}));
}

// The soak's finding: connections coming and going, each rescheduled several times, made
// the wheel's memory grow for minutes. Now it is what the slots need, whatever the history.
TEST(TimerWheel, MemoryDependsOnSlotsNotOnHistory) {
  const uint32_t kBuckets = 64, kSlots = 5000;
  TimerWheel w(0, 50, kBuckets);
  size_t fired = 0;
  auto due = [&](const TimerWheel::Entry&) { ++fired; };
  int64_t now = 0;
  std::mt19937 rng(7);
  size_t after_first = 0;
  for (int burst = 0; burst < 200; ++burst) {
    // A burst: every slot (re)scheduled into one tick, then each moved three more times to
    // random later deadlines, as a handshake, a connect and a ping move a connection's.
    const int64_t at = now + 50 * (1 + burst % 7);
    for (uint32_t s = 0; s < kSlots; ++s) w.schedule(s, burst, at);
    for (int k = 0; k < 3; ++k)
      for (uint32_t s = 0; s < kSlots; s += 1 + rng() % 3) w.schedule(s, burst, at + rng() % 9000);
    now += 50 * 11;
    w.advance(now, due);
    if (burst == 0) after_first = w.memory_bytes();
  }
  w.advance(now + 50 * kBuckets * 4, due);  // everything due by now
  EXPECT_GT(fired, 0u);
  for (uint32_t s = 0; s < kSlots; ++s) EXPECT_EQ(w.deadline(s), 0);
  EXPECT_LE(w.memory_bytes(), after_first);
  // A ramp: every slot due in the same tick. What firing them needed is let go afterwards:
  // 24 bytes a slot (twice, for the vector's growth), the bucket heads and the spare
  // capacity kept for fired entries.
  now += 50 * kBuckets * 4;
  for (uint32_t s = 0; s < kSlots; ++s) w.schedule(s, 0, now + 100);
  fired = 0;
  w.advance(now + 100, due);
  EXPECT_EQ(fired, kSlots);
  EXPECT_LE(w.memory_bytes(), 2 * kSlots * 24 + kBuckets * 4 + TimerWheel::kKeptCapacity * 16);
}

TEST(TimerWheel, AgreesWithANaiveModelOnRandomPrograms) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 400; ++round) {
    std::vector<uint8_t> program(1 + rng() % 600);
    for (auto& b : program) b = static_cast<uint8_t>(rng());
    const std::string diff = roomcast::testing::run_wheel_program(program, 1 + rng() % 40);
    ASSERT_EQ(diff, "") << "round " << round;
  }
}
