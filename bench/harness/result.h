// The outcome of one run, aggregated over all worker threads and processes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "histogram.h"
#include "shared_run.h"

namespace roomcast::bench {

enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = 2,
  kExitNoConnection = 3,     // no connection could be set up (server down, wrong path, ...)
  kExitConnFailures = 4,     // some connections failed or dropped; the figures are suspect
  kExitNothingDelivered = 5, // connected, but no message came back
  kExitInterrupted = 6,
  kExitInternal = 7,
};

struct Result {
  std::string server_profile;  // roomcastd's /debug/latency JSON for the measured window ('' if none)
  Counters totals;
  Histogram latency;  // ns, publishes whose (intended) send time is in the measured window
  Histogram connect;  // ns, TCP connect to namespace CONNECT ack
  uint64_t expected_deliveries = 0;  // sum over rooms of members x publishes to the room
  uint64_t loss = 0;
  double window_seconds = 0;         // measured window as it actually ran
  double connect_seconds = 0;        // connect phase
  bool interrupted = false;

  bool server_sampled = false;
  double server_cpu_percent = 0;     // 100 = one core
  uint64_t server_rss_peak_kb = 0;   // highest VmRSS seen during the window
  uint64_t server_hwm_kb = 0;        // VmHWM at the end
  double harness_cpu_percent = 0;    // all worker processes, 100 = one core
  double harness_cpu_capacity = 0;   // 100 x min(worker threads, CPUs the harness may run on)
  // Near its capacity the harness itself may be what limits the figures.
  bool harness_saturated() const { return harness_cpu_capacity > 0 && harness_cpu_percent >= 0.9 * harness_cpu_capacity; }

  std::vector<std::string> errors;   // first error of each worker that had one
  int exit_code = kExitOk;
  std::string verdict;               // one line: why the exit code is what it is

  double msgs_per_sec() const { return window_seconds > 0 ? double(totals.recv_measured) / window_seconds : 0; }
  double pubs_per_sec() const { return window_seconds > 0 ? double(totals.pubs_measured) / window_seconds : 0; }
};

}  // namespace roomcast::bench
