// The parent process: forks the worker processes, runs the timeline (connect, warm-up,
// measured window, drain), prints progress, samples the server, and aggregates.
#pragma once
#include "options.h"
#include "result.h"
#include "worker.h"

namespace roomcast::bench {

// Runs the whole benchmark. `plan.shared` is filled in here. Fills `out` (also on failure,
// with errors and an exit code) and returns out.exit_code.
int run_benchmark(const Options& opt, RunPlan& plan, Result& out);

}  // namespace roomcast::bench
