// Day counts to calendar dates, against known dates and a day-by-day walk of the calendar.
#include "util/civil_date.h"

#include <gtest/gtest.h>

using roomcast::detail::civil_from_days;

namespace {

bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int month_length(int64_t y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

}  // namespace

TEST(CivilDate, KnownDates) {
  auto is = [](int64_t days, int64_t y, int m, int d) {
    const auto c = civil_from_days(days);
    return c.year == y && c.month == m && c.day == d;
  };
  EXPECT_TRUE(is(0, 1970, 1, 1));
  EXPECT_TRUE(is(-1, 1969, 12, 31));
  EXPECT_TRUE(is(11016, 2000, 2, 29));
  EXPECT_TRUE(is(20418, 2025, 11, 26));
  EXPECT_TRUE(is(-719468, 0, 3, 1));
  EXPECT_TRUE(is(100'000'000, 275760, 9, 13));   // the last day a JavaScript Date holds
  EXPECT_TRUE(is(-100'000'000, -271821, 4, 20)); // and the first
}

// Every day from 1600 to 2400, walked forwards and backwards from the epoch one day at a time.
TEST(CivilDate, MatchesADayByDayWalk) {
  int64_t y = 1970;
  int m = 1, d = 1;
  for (int64_t days = 0; days <= 157'000; ++days) {
    const auto c = civil_from_days(days);
    ASSERT_TRUE(c.year == y && c.month == m && c.day == d) << days;
    if (++d > month_length(y, m)) {
      d = 1;
      if (++m > 12) m = 1, ++y;
    }
  }
  y = 1970, m = 1, d = 1;
  for (int64_t days = 0; days >= -135'000; --days) {
    const auto c = civil_from_days(days);
    ASSERT_TRUE(c.year == y && c.month == m && c.day == d) << days;
    if (--d < 1) {
      if (--m < 1) m = 12, --y;
      d = month_length(y, m);
    }
  }
}
