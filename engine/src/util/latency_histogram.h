// The engine's latency histogram (broadcast profiler, loop/broadcast_profile.h): ns, written
// by its shard, read by any thread through snapshot().
#pragma once
#include "util/log_histogram.h"

namespace roomcast::detail {

// 2^6 sub-buckets per power of two (relative error <= 1.6%): finer than the run-to-run spread
// of the stages it times, and each of the six stage histograms per shard stays at 18 KiB, so
// a shard's profile is small and a /profile read copies little. Range up to 2^41 ns (36
// minutes): a "complete" stage can wait behind a slow consumer for as long as it is kept.
using LatencyHistogram = LogHistogram<6, 40, OwnedCell>;

}  // namespace roomcast::detail
