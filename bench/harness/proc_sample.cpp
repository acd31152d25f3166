#include "proc_sample.h"

#include "proc_parse.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

namespace roomcast::bench {

namespace {
std::string read_small_file(const std::string& path) {
  std::string out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0 && out.size() < (1u << 20)) out.append(buf, size_t(n));
  ::close(fd);
  return out;
}
}  // namespace

ProcSample sample_process(pid_t pid) {
  ProcSample s;
  const std::string base = "/proc/" + std::to_string(pid);
  uint64_t ticks = 0;
  if (!parse_stat_cpu_ticks(read_small_file(base + "/stat"), ticks)) return s;
  s.cpu_seconds = double(ticks) / double(::sysconf(_SC_CLK_TCK));
  const std::string status = read_small_file(base + "/status");
  s.rss_kb = parse_status_kb(status, "VmRSS");
  s.hwm_kb = parse_status_kb(status, "VmHWM");
  s.ok = true;
  return s;
}

}  // namespace roomcast::bench
