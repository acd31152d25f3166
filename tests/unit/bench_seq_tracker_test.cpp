// Per-publisher sequence accounting against a naive model (a set of seen numbers).
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <vector>

#include "../../bench/harness/seq_tracker.h"

using roomcast::bench::SeqTracker;
using R = SeqTracker::Result;

TEST(BenchSeqTracker, InOrderGapLateDuplicate) {
  SeqTracker t;
  EXPECT_EQ(t.on(0), R::InOrder);
  EXPECT_EQ(t.on(1), R::InOrder);
  EXPECT_EQ(t.on(4), R::Gap);        // 2 and 3 missing so far
  EXPECT_EQ(t.on(2), R::Late);       // fills a hole: order violation
  EXPECT_EQ(t.on(2), R::Duplicate);
  EXPECT_EQ(t.on(4), R::Duplicate);
  EXPECT_EQ(t.on(5), R::InOrder);
  EXPECT_EQ(t.unique(), 5u);
  EXPECT_EQ(t.next_expected(), 6u);
  EXPECT_TRUE(SeqTracker::is_order_violation(R::Late));
  EXPECT_TRUE(SeqTracker::is_order_violation(R::TooOld));
  EXPECT_FALSE(SeqTracker::is_order_violation(R::Gap));
  EXPECT_FALSE(SeqTracker::is_order_violation(R::Duplicate));
}

TEST(BenchSeqTracker, FarBehindIsTooOld) {
  SeqTracker t;
  t.on(1000);
  EXPECT_EQ(t.on(1000 - 64), R::TooOld);
  EXPECT_EQ(t.on(1000 - 63), R::Late);
  EXPECT_EQ(t.on(1000 - 63), R::Duplicate);
}

TEST(BenchSeqTracker, LargeJumpClearsTheWindow) {
  SeqTracker t;
  for (uint64_t s = 0; s < 10; ++s) t.on(s);
  EXPECT_EQ(t.on(500), R::Gap);
  EXPECT_EQ(t.on(499), R::Late);  // not mistaken for a duplicate of an old bit
}

TEST(BenchSeqTracker, MatchesASetModelWithinTheWindow) {
  // Mostly increasing with small local reordering and duplicates, so every arrival is
  // within the 64-seq window: then the tracker must agree with the set exactly.
  std::mt19937 rng(123);
  for (int run = 0; run < 50; ++run) {
    std::vector<uint64_t> arrivals;
    for (uint64_t s = 0; s < 2000; ++s) {
      if (rng() % 10 == 0) continue;  // lost
      arrivals.push_back(s);
      if (rng() % 20 == 0) arrivals.push_back(s);  // duplicated
    }
    for (size_t i = 0; i + 1 < arrivals.size(); ++i)
      if (rng() % 8 == 0) std::swap(arrivals[i], arrivals[i + 1 + rng() % std::min<size_t>(5, arrivals.size() - i - 1)]);
    SeqTracker t;
    std::set<uint64_t> seen;
    uint64_t highest = 0;
    bool any = false;
    for (uint64_t s : arrivals) {
      const R r = t.on(s);
      const bool dup = seen.count(s) > 0;
      const bool late = !dup && any && s < highest;
      if (dup) ASSERT_EQ(r, R::Duplicate) << s;
      else if (late) ASSERT_EQ(r, R::Late) << s;
      else ASSERT_TRUE(r == R::InOrder || r == R::Gap) << s;
      seen.insert(s);
      if (!any || s > highest) highest = s;
      any = true;
    }
    EXPECT_EQ(t.unique(), seen.size());
  }
}
