// Calendar dates from day counts, for the JavaScript date texts the Redis adapter writes
// (Date.prototype.toJSON in msgpack -> JSON, Date.toString in fetchSockets answers). Pure.
#pragma once

#include <cstdint>

namespace roomcast::detail {

struct CivilDate {
  int64_t year;
  int month;  // 1-12
  int day;    // 1-31
};

// Day `days` since 1970-01-01 in the proleptic Gregorian calendar (as JavaScript's Date
// counts, negative days included), computed over 400-year eras so no table is needed.
inline CivilDate civil_from_days(int64_t days) {
  const int64_t z = days + 719468;  // shift the epoch to 0000-03-01
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;                                        // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                     // March = 0
  const int day = int(doy - (153 * mp + 2) / 5 + 1);
  const int month = int(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

}  // namespace roomcast::detail
