// The per-shard timer wheel: a slot's one deadline fires in the first advance that reaches
// it, to the millisecond, at every distance (each level of the wheel and past its span);
// rescheduling replaces it; the loop may sleep until next_due_ms() and miss nothing; memory
// is per slot and does not grow with reschedules, bursts or churn. Randomized programs
// against a naive model.
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

TEST(TimerWheel, FiresOnItsMillisecondAndNotBefore) {
  TimerWheel w(0);
  w.schedule(1, 0, 170);
  w.schedule(2, 0, 25'000);  // a default ping interval away: a coarser level
  std::vector<TimerWheel::Entry> fired;
  auto due = [&](const TimerWheel::Entry& e) { fired.push_back(e); };
  w.advance(169, due);
  EXPECT_TRUE(fired.empty());
  w.advance(170, due);
  ASSERT_EQ(slots_of(fired), std::vector<uint32_t>{1});
  EXPECT_EQ(fired[0].deadline_ms, 170);
  w.advance(24'999, due);
  EXPECT_EQ(slots_of(fired), std::vector<uint32_t>{1});
  w.advance(25'000, due);
  EXPECT_EQ(slots_of(fired), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(w.deadline(1), 0);
  EXPECT_EQ(w.deadline(2), 0);
}

// Every distance, from 1 ms to days (past the last level's span), fires exactly when the
// wheel is advanced one millisecond at a time around it, and with one big step it fires
// inside that step at its own time (now_ms() in due()).
TEST(TimerWheel, EveryDistanceFiresExactly) {
  std::mt19937_64 rng(99);
  const int64_t start = 123'456;
  std::vector<int64_t> distances = {1, 2, 255, 256, 257, 16'383, 16'384, 16'385, 1'048'575, 1'048'576,
                                    67'108'863, 67'108'864, 200'000'000};
  for (int i = 0; i < 300; ++i) distances.push_back(1 + int64_t(rng() % (1ull << (8 + rng() % 22))));
  for (int64_t d : distances) {
    TimerWheel w(start);
    w.schedule(5, 1, start + d);
    int64_t fired_at = -1, seen_now = -1;
    auto due = [&](const TimerWheel::Entry& e) {
      fired_at = e.deadline_ms;
      seen_now = w.now_ms();
    };
    w.advance(start + d - 1, due);
    ASSERT_EQ(fired_at, -1) << "distance " << d;
    EXPECT_LE(w.next_due_ms(), start + d);
    w.advance(start + d, due);
    ASSERT_EQ(fired_at, start + d) << "distance " << d;
    EXPECT_EQ(seen_now, start + d);
    // One step from the start, far past the deadline: due() still sees its own time.
    TimerWheel w2(start);
    w2.schedule(5, 1, start + d);
    seen_now = -1;
    w2.advance(start + d + 1'000'000, [&](const TimerWheel::Entry&) { seen_now = w2.now_ms(); });
    ASSERT_EQ(seen_now, start + d) << "distance " << d;
  }
}

TEST(TimerWheel, PastDeadlinesFireInTheNextMillisecond) {
  TimerWheel w(1000);
  w.schedule(7, 0, 10);
  w.schedule(8, 0, 1000);  // now: also already reached
  std::vector<uint32_t> fired;
  w.advance(1000, [&](const TimerWheel::Entry& e) { fired.push_back(e.slot); });
  EXPECT_TRUE(fired.empty());
  w.advance(1001, [&](const TimerWheel::Entry& e) { fired.push_back(e.slot); });
  std::sort(fired.begin(), fired.end());
  EXPECT_EQ(fired, (std::vector<uint32_t>{7, 8}));
}

TEST(TimerWheel, ReschedulingReplacesAndCancelForgets) {
  TimerWheel w(0);
  w.schedule(3, 1, 100);
  w.schedule(3, 2, 40'000);  // replaces: nothing at 100, and moves it to a coarser level
  w.schedule(4, 1, 100);
  w.cancel(4);
  w.cancel(99);  // never scheduled: nothing happens
  EXPECT_EQ(w.deadline(3), 40'000);
  EXPECT_EQ(w.deadline(4), 0);
  std::vector<TimerWheel::Entry> fired;
  auto due = [&](const TimerWheel::Entry& e) { fired.push_back(e); };
  w.advance(39'999, due);
  EXPECT_TRUE(fired.empty());
  w.advance(40'000, due);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].slot, 3u);
  EXPECT_EQ(fired[0].gen, 2u);
  EXPECT_EQ(fired[0].deadline_ms, 40'000);
}

// due() may reschedule the slot it is told about and move others, within the same advance.
TEST(TimerWheel, DueMayRescheduleAnySlot) {
  TimerWheel w(0);
  w.schedule(1, 0, 100);
  w.schedule(2, 0, 100);
  w.schedule(3, 0, 900);
  std::vector<std::pair<uint32_t, int64_t>> fired;  // slot, when
  w.advance(100, [&](const TimerWheel::Entry& e) {
    fired.push_back({e.slot, w.now_ms()});
    w.schedule(e.slot, e.gen + 1, 200);
    w.schedule(3, 0, 150);  // pulls 3 forward
  });
  EXPECT_EQ(fired.size(), 2u);
  fired.clear();
  w.advance(300, [&](const TimerWheel::Entry& e) {
    fired.push_back({e.slot, w.now_ms()});
    if (e.slot == 3) w.schedule(9, 0, 0);  // already reached: the next millisecond, this call
  });
  std::sort(fired.begin(), fired.end());
  EXPECT_EQ(fired, (std::vector<std::pair<uint32_t, int64_t>>{{1, 200}, {2, 200}, {3, 150}, {9, 151}}));
}

// The loop sleeps until next_due_ms(): never past a deadline, and not every millisecond
// when the nearest deadline is far (an idle shard with 100,000 connections pinging every
// 25 s wakes for deadlines, not for ticks).
TEST(TimerWheel, NextDueLetsAnIdleLoopSleep) {
  TimerWheel w(0);
  EXPECT_GT(w.next_due_ms(), 1'000'000);  // empty: nothing to wake for
  w.schedule(1, 0, 25'000);
  int64_t now = 0, wakes = 0, fired_at = -1;
  while (fired_at < 0 && wakes < 1000) {
    now = w.next_due_ms();
    ++wakes;
    w.advance(now, [&](const TimerWheel::Entry& e) { fired_at = e.deadline_ms; });
  }
  EXPECT_EQ(fired_at, 25'000);
  EXPECT_EQ(now, 25'000);
  EXPECT_LE(wakes, 16);  // cascades only: at most a few per level
}

// The soak's finding: connections coming and going, each rescheduled several times, made
// the wheel's memory grow for minutes. Now it is what the slots need, whatever the history.
TEST(TimerWheel, MemoryDependsOnSlotsNotOnHistory) {
  const uint32_t kSlots = 5000;
  TimerWheel w(0);
  size_t fired = 0;
  auto due = [&](const TimerWheel::Entry&) { ++fired; };
  int64_t now = 0;
  std::mt19937 rng(7);
  size_t after_first = 0;
  for (int burst = 0; burst < 200; ++burst) {
    // A burst: every slot (re)scheduled into one millisecond, then each moved three more
    // times to random later deadlines, as a handshake, a connect and a ping move a
    // connection's.
    const int64_t at = now + 50 * (1 + burst % 7);
    for (uint32_t s = 0; s < kSlots; ++s) w.schedule(s, burst, at);
    for (int k = 0; k < 3; ++k)
      for (uint32_t s = 0; s < kSlots; s += 1 + rng() % 3) w.schedule(s, burst, at + rng() % 90'000);
    now += 550;
    w.advance(now, due);
    if (burst == 0) after_first = w.memory_bytes();
  }
  w.advance(now + 100'000, due);  // everything due by now
  EXPECT_GT(fired, 0u);
  for (uint32_t s = 0; s < kSlots; ++s) EXPECT_EQ(w.deadline(s), 0);
  // What fired in one millisecond may keep up to kKeptCapacity entries of spare room, more
  // or less of it after each burst: that much is bounded by design, the rest may not grow.
  EXPECT_LE(w.memory_bytes(), after_first + TimerWheel::kKeptCapacity * sizeof(TimerWheel::Entry));
  // A ramp: every slot due in the same millisecond. What firing them needed is let go
  // afterwards: 24 bytes a slot (twice, for the vector's growth), the buckets of all levels
  // and their bitmaps, and the spare capacity kept for fired entries.
  now += 100'000;
  for (uint32_t s = 0; s < kSlots; ++s) w.schedule(s, 0, now + 100);
  fired = 0;
  w.advance(now + 100, due);
  EXPECT_EQ(fired, kSlots);
  EXPECT_LE(w.memory_bytes(), 2 * kSlots * 24 + (256 + 3 * 64) * 4 + 7 * 8 + TimerWheel::kKeptCapacity * 16);
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
