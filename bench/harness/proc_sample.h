// CPU time and memory of a process, read from /proc (Linux).
#pragma once
#include <sys/types.h>

#include <cstdint>

namespace roomcast::bench {

struct ProcSample {
  bool ok = false;
  double cpu_seconds = 0;  // user + system, all threads
  uint64_t rss_kb = 0;     // VmRSS
  uint64_t hwm_kb = 0;     // VmHWM: peak RSS over the process's life
};

ProcSample sample_process(pid_t pid);

}  // namespace roomcast::bench
