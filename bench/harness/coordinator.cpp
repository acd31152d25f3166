#include "admin_client.h"
#include "coordinator.h"

#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <memory>
#include <thread>

#include "proc_sample.h"
#include "report.h"

namespace roomcast::bench {

namespace {

volatile sig_atomic_t g_interrupted = 0;  // signals received
void on_signal(int) { g_interrupted = g_interrupted + 1; }

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kS = 1'000'000'000;
constexpr uint64_t kQuietNs = 500 * kMs;  // drain ends after this long without a delivery

[[noreturn]] void worker_process(const RunPlan& plan, uint32_t proc) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the coordinator
  std::signal(SIGINT, SIG_IGN);        // Ctrl-C reaches the whole group; the coordinator decides
  const Options& opt = *plan.opt;
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < opt.threads; ++t) {
    const uint32_t slot = proc * opt.threads + t;
    threads.emplace_back([&plan, slot] {
      SlotShm& s = plan.shared->slot(slot);
      try {
        auto w = std::make_unique<Worker>(plan, slot);
        w->run();
      } catch (const std::exception& e) {
        s.set_error((std::string("worker: ") + e.what()).c_str());
        s.state.store(int32_t(SlotState::Fatal), std::memory_order_release);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::fflush(nullptr);
  ::_exit(0);
}

struct Snapshot {
  Counters c;
  uint32_t ready = 0, fatal = 0;
};

Snapshot collect(SharedRun& shm) {
  Snapshot s;
  for (uint32_t i = 0; i < shm.slots(); ++i) {
    SlotShm& slot = shm.slot(i);
    s.c.add(slot.counters.load());
    const auto st = SlotState(slot.state.load(std::memory_order_acquire));
    if (st == SlotState::Fatal) ++s.fatal;
    if (st >= SlotState::Ready) ++s.ready;
  }
  return s;
}

void merged(SharedRun& shm, HistShm SlotShm::*which, Histogram& out) {
  out.clear();
  Histogram h;
  for (uint32_t i = 0; i < shm.slots(); ++i) {
    (shm.slot(i).*which).load_into(h);
    out.merge(h);
  }
}

void errors_of(SharedRun& shm, std::vector<std::string>& out) {
  for (uint32_t i = 0; i < shm.slots(); ++i) {
    SlotShm& s = shm.slot(i);
    if (s.has_error.load(std::memory_order_acquire)) out.emplace_back(s.error);
  }
}

double percent(double cpu_seconds, uint64_t wall_ns) {
  return wall_ns >= 1'000'000 ? 100.0 * cpu_seconds / (double(wall_ns) / 1e9) : 0.0;
}

double cpu_of(const std::vector<pid_t>& pids) {
  double sum = 0;
  for (pid_t p : pids) sum += sample_process(p).cpu_seconds;
  return sum;
}

void sleep_ns(uint64_t ns) {
  timespec ts{time_t(ns / kS), long(ns % kS)};
  ::nanosleep(&ts, nullptr);
}

}  // namespace

int run_benchmark(const Options& opt, RunPlan& plan, Result& out) {
  SharedRun shm(opt.workers(), plan.rooms.rooms());
  plan.shared = &shm;
  Control& ctl = shm.control();
  std::fflush(nullptr);

  std::vector<pid_t> children;
  for (uint32_t k = 0; k < opt.procs; ++k) {
    const pid_t pid = ::fork();
    if (pid == 0) worker_process(plan, k);
    if (pid < 0) {
      out.errors.emplace_back("fork failed");
      ctl.stop.store(1);
      out.exit_code = kExitInternal;
      break;
    }
    children.push_back(pid);
  }
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  const int allowed = ::sched_getaffinity(0, sizeof(cpus), &cpus) == 0 ? CPU_COUNT(&cpus) : int(opt.workers());
  out.harness_cpu_capacity = 100.0 * std::min<double>(opt.workers(), std::max(allowed, 1));

  const uint64_t t0 = mono_ns();
  const uint64_t connect_deadline =
      t0 + uint64_t((double(opt.connections) / opt.ramp + opt.connect_timeout + 5.0) * 1e9);
  uint64_t start = 0, warm_end = 0, meas_end = 0;
  bool sampled_a = false, sampled_b = false;
  double server_cpu_a = 0, harness_cpu_a = 0;
  uint64_t window_a = 0, window_b = 0;
  uint64_t last_progress = t0, drain_start = 0, last_change = 0, last_recv = 0;
  Counters prev_c;
  Histogram prev_lat, cur_lat;
  size_t live_children = children.size();

  while (out.exit_code == kExitOk) {
    const uint64_t now = mono_ns();
    if (g_interrupted) {
      // First Ctrl-C: end the window now and drain as usual; a second one stops at once.
      out.interrupted = true;
      if (!start || sampled_b || g_interrupted > 1) break;
      if (!sampled_a || now < meas_end) {
        meas_end = std::max(now, warm_end);
        ctl.end_ns.store(int64_t(meas_end), std::memory_order_release);
      }
    }
    int status = 0;
    if (const pid_t dead = ::waitpid(-1, &status, WNOHANG); dead > 0) {
      --live_children;
      out.errors.emplace_back("worker process " + std::to_string(dead) + " ended early (status " +
                              std::to_string(status) + ")");
      out.exit_code = kExitInternal;
      break;
    }
    const Snapshot s = collect(shm);
    if (s.fatal) {
      out.exit_code = kExitInternal;
      break;
    }
    if (!start) {
      if (s.ready == shm.slots() || now > connect_deadline) {
        out.connect_seconds = double(now - t0) / 1e9;
        if (s.c.conns_ready == 0) {
          out.exit_code = kExitNoConnection;
          break;
        }
        start = now + 50 * kMs;
        warm_end = start + uint64_t(opt.warmup * 1e9);
        meas_end = warm_end + uint64_t(opt.duration * 1e9);
        ctl.start_ns.store(int64_t(start), std::memory_order_release);
      }
    } else {
      if (!sampled_a && now >= warm_end) {
        sampled_a = true;
        window_a = now;
        if (!opt.profile_url.empty()) {  // the server's stages cover exactly the measured window
          admin_request(opt.profile_url, "POST", "/debug/profiling?on=1");
          admin_request(opt.profile_url, "POST", "/debug/latency/reset");
        }
        harness_cpu_a = cpu_of(children);
        if (opt.server_pid) {
          const ProcSample p = sample_process(opt.server_pid);
          out.server_sampled = p.ok;
          server_cpu_a = p.cpu_seconds;
          out.server_rss_peak_kb = p.rss_kb;
        }
      }
      if (sampled_a && !sampled_b && opt.server_pid) {
        out.server_rss_peak_kb = std::max(out.server_rss_peak_kb, sample_process(opt.server_pid).rss_kb);
      }
      if (!sampled_b && now >= meas_end) {
        sampled_b = true;
        window_b = now;
        if (!opt.profile_url.empty()) {
          auto body = admin_request(opt.profile_url, "GET", "/debug/latency");
          out.server_profile = body ? *body : std::string();
          if (!body) std::fprintf(stderr, "roomcast-bench: no profile from %s\n", opt.profile_url.c_str());
        }
        out.harness_cpu_percent = percent(cpu_of(children) - harness_cpu_a, window_b - window_a);
        if (opt.server_pid) {
          const ProcSample p = sample_process(opt.server_pid);
          out.server_sampled = out.server_sampled && p.ok;
          out.server_cpu_percent = percent(p.cpu_seconds - server_cpu_a, window_b - window_a);
          out.server_rss_peak_kb = std::max(out.server_rss_peak_kb, p.rss_kb);
          out.server_hwm_kb = p.hwm_kb;
        }
        drain_start = last_change = now;
        last_recv = s.c.recv_total;
      }
      if (sampled_b) {
        if (s.c.recv_total != last_recv) {
          last_recv = s.c.recv_total;
          last_change = now;
        }
        if (now - last_change >= kQuietNs || now - drain_start >= uint64_t(opt.drain * 1e9)) break;
      }
    }
    if (now - last_progress >= kS) {
      const double dt = double(now - last_progress) / 1e9;
      last_progress = now;
      if (opt.progress) {
        merged(shm, &SlotShm::lat_all, cur_lat);
        const Histogram d = cur_lat.since(prev_lat);
        print_progress(opt, now - t0, start ? (now < start ? "starting" : now < warm_end ? "warm-up" : now < meas_end ? "measure" : "drain") : "connect",
                       s.c, prev_c, dt, d);
        prev_lat = cur_lat;
      }
      prev_c = s.c;
    }
    uint64_t next = now + 50 * kMs;
    if (start && !sampled_a) next = std::min(next, std::max(warm_end, now + kMs / 10));
    if (sampled_a && !sampled_b) next = std::min(next, std::max(meas_end, now + kMs / 10));
    next = std::min(next, last_progress + kS);
    if (next > now) sleep_ns(next - now);
  }

  // Stop the workers and wait for them, bounded.
  const uint64_t stop_at = mono_ns();
  if (start && !sampled_b && sampled_a) {
    window_b = stop_at;
    out.harness_cpu_percent = percent(cpu_of(children) - harness_cpu_a, window_b - window_a);
  }
  ctl.stop.store(1, std::memory_order_release);
  while (live_children > 0) {
    int status = 0;
    const pid_t p = ::waitpid(-1, &status, WNOHANG);
    if (p > 0) {
      --live_children;
      continue;
    }
    if (p < 0) break;
    if (mono_ns() - stop_at > 10 * kS) {
      for (pid_t c : children) ::kill(c, SIGKILL);
      while (::waitpid(-1, &status, 0) > 0) {
      }
      out.errors.emplace_back("worker processes did not stop within 10 s and were killed");
      break;
    }
    sleep_ns(5 * kMs);
  }

  const Snapshot fin = collect(shm);
  out.totals = fin.c;
  merged(shm, &SlotShm::lat_measured, out.latency);
  merged(shm, &SlotShm::connect, out.connect);
  errors_of(shm, out.errors);
  out.window_seconds = sampled_a ? double(window_b - window_a) / 1e9 : 0;
  for (uint32_t r = 0; r < shm.rooms(); ++r) {
    uint64_t members = 0, published = 0;
    for (uint32_t i = 0; i < shm.slots(); ++i) {
      members += shm.members(i)[r].load();
      published += shm.published(i)[r].load();
    }
    out.expected_deliveries += members * published;
  }
  out.loss = out.expected_deliveries > out.totals.recv_unique ? out.expected_deliveries - out.totals.recv_unique : 0;
  return decide_exit(opt, out);
}

}  // namespace roomcast::bench
