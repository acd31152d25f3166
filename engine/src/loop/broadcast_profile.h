// Per-stage timing of broadcasts inside the server, per shard, lock-free.
//
// Stages, each a histogram of the time from the previous mark:
//   encode     emit() called -> frame encoded (on the emitting thread)
//   handoff    encoded -> dequeued on the target shard (queue + wake-up; 0-ish on the
//              emitting shard itself)
//   fanout     dequeued -> every local recipient has the frame queued
//   submit     dequeued -> the sendmsg batch carrying it submitted (end of the loop turn)
//   complete   submitted -> the last local recipient's send completed
//   total      emit() called -> last local send completed
// Disabled, it costs one predictable branch per broadcast per shard.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

#include "util/latency_histogram.h"

namespace roomcast::detail {

inline int64_t mono_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

enum Stage : int { kEncode, kHandoff, kFanout, kSubmit, kComplete, kTotal, kStageCount };
inline constexpr const char* kStageNames[kStageCount] = {"encode", "handoff", "fanout", "submit", "complete", "total"};

struct BroadcastProfile {
  LatencyHistogram stages[kStageCount];
  std::atomic<uint64_t> recipients{0};  // summed over profiled broadcasts
};

// Merged over shards, as JSON: {"enabled":..,"broadcasts":N,"stages":{"encode":{"count":..,
// "mean_us":..,"p50_us":..,"p90_us":..,"p99_us":..,"p999_us":..,"max_us":..},...}}
std::string profile_json(const LatencyHistogram::Snapshot* merged, uint64_t recipients, bool enabled);

}  // namespace roomcast::detail
