// What the user sees: progress lines (stderr), the final table (stdout), the JSON result.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "histogram.h"
#include "options.h"
#include "result.h"

namespace roomcast::bench {

// One line: phase, connections, deliveries and publishes per second since the previous
// line, and latency percentiles of what arrived in between.
void print_progress(const Options& opt, uint64_t elapsed_ns, std::string_view phase, const Counters& now,
                    const Counters& prev, double dt_seconds, const Histogram& interval);

void print_table(const Options& opt, const Result& r);
std::string result_json(const Options& opt, const Result& r);

// Sets r.exit_code (unless already an error) and r.verdict; returns the exit code.
int decide_exit(const Options& opt, Result& r);

// "850us", "1.25ms", "2.50s"
std::string format_duration_ns(double ns);

}  // namespace roomcast::bench
