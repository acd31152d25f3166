// The bench harness's latency histogram: the engine's template (util/log_histogram.h) at
// the resolution the harness reports with. One thread records; shared_run.h's HistShm
// carries copies to the coordinator.
#pragma once
#include "util/log_histogram.h"

namespace roomcast::bench {

// 2^7 sub-buckets per power of two (relative error <= 0.79%, HdrHistogram's "two
// significant digits"), finer than the engine's profiler: these percentiles are the
// published result, compared across servers and runs. A handful of histograms per worker
// thread, 31 KiB each. Range up to 2^37 ns (137 s), past any connect or delivery time a run
// can see (the connect timeout and drain are seconds).
using Histogram = detail::LogHistogram<7, 36>;

}  // namespace roomcast::bench
