#include "admin_client.h"
#include "report.h"

#include <cstdio>

#include "json_writer.h"

namespace roomcast::bench {

namespace {

std::string group(uint64_t v) {
  const std::string d = std::to_string(v);
  std::string s;
  for (size_t i = 0; i < d.size(); ++i) {
    if (i && (d.size() - i) % 3 == 0) s += ',';
    s += d[i];
  }
  return s;
}

std::string group_d(double v) { return group(uint64_t(v < 0 ? 0 : v + 0.5)); }

const char* mode_name(const Options& o) { return o.saturate() ? "saturate" : "rate"; }
const char* spread_name(const Options& o) { return o.spread == Spread::Zipf ? "zipf" : "uniform"; }

void percentiles_json(JsonWriter& j, std::string_view key, const Histogram& h, double scale) {
  j.begin_object(key)
      .num("count", h.count())
      .num("min", double(h.min()) / scale)
      .num("mean", h.mean() / scale)
      .num("p50", double(h.percentile(50)) / scale)
      .num("p90", double(h.percentile(90)) / scale)
      .num("p99", double(h.percentile(99)) / scale)
      .num("p99_9", double(h.percentile(99.9)) / scale)
      .num("p99_99", double(h.percentile(99.99)) / scale)
      .num("max", double(h.max()) / scale);
  // A finer distribution for plots: [percentile, value] pairs.
  j.begin_array("cdf");
  for (double p : {0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 75.0, 80.0, 85.0, 90.0, 95.0, 97.5, 99.0, 99.5,
                   99.9, 99.95, 99.99, 99.999, 100.0}) {
    const double v = double(p >= 100.0 ? h.max() : h.percentile(p)) / scale;
    j.begin_array().num({}, p).num({}, v).end_array();
  }
  j.end_array();
  j.end_object();
}

}  // namespace

std::string format_duration_ns(double ns) {
  char buf[32];
  if (ns < 1e6) std::snprintf(buf, sizeof buf, "%.0fus", ns / 1e3);
  else if (ns < 1e9) std::snprintf(buf, sizeof buf, "%.2fms", ns / 1e6);
  else std::snprintf(buf, sizeof buf, "%.2fs", ns / 1e9);
  return buf;
}

void print_progress(const Options& opt, uint64_t elapsed_ns, std::string_view phase, const Counters& now,
                    const Counters& prev, double dt, const Histogram& interval) {
  const double msgs = double(now.recv_total - prev.recv_total) / dt;
  const double pubs = double(now.pubs_total - prev.pubs_total) / dt;
  std::string lat = interval.count() ? "p50 " + format_duration_ns(double(interval.percentile(50))) + "  p99 " +
                                           format_duration_ns(double(interval.percentile(99)))
                                     : "-";
  std::fprintf(stderr, "[%6.1fs] %-8.*s conns %s/%u", double(elapsed_ns) / 1e9, int(phase.size()), phase.data(),
               group(now.conns_ready - now.conns_dropped).c_str(), opt.connections);
  if (now.conns_failed || now.conns_dropped)
    std::fprintf(stderr, " (failed %s, dropped %s)", group(now.conns_failed).c_str(), group(now.conns_dropped).c_str());
  std::fprintf(stderr, "  msgs/s %s  pubs/s %s  %s\n", group_d(msgs).c_str(), group_d(pubs).c_str(), lat.c_str());
}

void print_table(const Options& o, const Result& r) {
  const Counters& c = r.totals;
  std::printf("\nroomcast-bench%s%s  %s  path %s  namespace %s\n", o.label.empty() ? "" : "  ",
              o.label.c_str(), o.url.c_str(), o.path.c_str(), o.nsp.c_str());
  std::printf("  load         %u connections, %u rooms (%s), %u publishers, %u B payload, ", o.connections, o.rooms,
              spread_name(o), o.publishers, o.payload);
  if (o.saturate()) std::printf("saturate (window %u)\n", o.window);
  else std::printf("rate %s publishes/s\n", group_d(o.rate).c_str());
  std::printf("  timing       %.1f s measured (%.3f s actual) after %.1f s warm-up; %u process(es) x %u thread(s)\n",
              o.duration, r.window_seconds, o.warmup, o.procs, o.threads);
  std::printf("  connections  %s ready, %s failed, %s dropped; set-up in %.2f s; connect p50 %s  p99 %s  max %s\n",
              group(c.conns_ready).c_str(), group(c.conns_failed).c_str(), group(c.conns_dropped).c_str(),
              r.connect_seconds, format_duration_ns(double(r.connect.percentile(50))).c_str(),
              format_duration_ns(double(r.connect.percentile(99))).c_str(),
              format_duration_ns(double(r.connect.max())).c_str());
  if (r.exit_code == kExitNoConnection) {
    for (size_t i = 0; i < r.errors.size() && i < 5; ++i) std::printf("  error        %s\n", r.errors[i].c_str());
    std::printf("  result       %s\n", r.verdict.c_str());
    std::fflush(stdout);
    return;
  }
  std::printf("  publishes    %s in window (%s/s); %s in total\n", group(c.pubs_measured).c_str(),
              group_d(r.pubs_per_sec()).c_str(), group(c.pubs_total).c_str());
  std::printf("  delivered    %s msgs/s  (%s in window; %s in total)\n", group_d(r.msgs_per_sec()).c_str(),
              group(c.recv_measured).c_str(), group(c.recv_total).c_str());
  const Histogram& h = r.latency;
  std::printf("  latency      p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (mean %s, %s samples%s)\n",
              format_duration_ns(double(h.percentile(50))).c_str(), format_duration_ns(double(h.percentile(90))).c_str(),
              format_duration_ns(double(h.percentile(99))).c_str(),
              format_duration_ns(double(h.percentile(99.9))).c_str(), format_duration_ns(double(h.max())).c_str(),
              format_duration_ns(h.mean()).c_str(), group(h.count()).c_str(),
              o.saturate() ? "" : ", from intended send time");
  const double loss_pct = r.expected_deliveries ? 100.0 * double(r.loss) / double(r.expected_deliveries) : 0;
  std::printf("  integrity    loss %s of %s (%.4f%%), duplicates %s, order violations %s, foreign %s, malformed %s",
              group(r.loss).c_str(), group(r.expected_deliveries).c_str(), loss_pct, group(c.duplicates).c_str(),
              group(c.order_violations).c_str(), group(c.foreign).c_str(), group(c.malformed).c_str());
  if (c.stalls) std::printf(", publisher stalls %s", group(c.stalls).c_str());
  std::printf("\n");
  if (o.server_pid) {
    if (r.server_sampled)
      std::printf("  server       pid %d: CPU %.1f%% (100%% = one core), RSS peak %.1f MiB in window, VmHWM %.1f MiB\n",
                  o.server_pid, r.server_cpu_percent, double(r.server_rss_peak_kb) / 1024.0,
                  double(r.server_hwm_kb) / 1024.0);
    else
      std::printf("  server       pid %d could not be sampled\n", o.server_pid);
  }
  // Where the client-observed latency went inside the server (roomcastd --profile).
  if (!r.server_profile.empty()) print_server_profile(r.server_profile);
  std::printf("  harness      CPU %.1f%% over the window (100%% = one core); %s MB in, %s MB out",
              r.harness_cpu_percent, group(c.bytes_in >> 20).c_str(), group(c.bytes_out >> 20).c_str());
  if (c.publish_deferred) std::printf("; publishes deferred (send queue full) %s", group(c.publish_deferred).c_str());
  std::printf("\n");
  if (r.harness_saturated())
    std::printf("  warning      the harness used %.0f%% of the %.0f%% it can use: it may be the bottleneck; give it\n"
                "               more cores (--threads, --procs, taskset) or a lighter load\n",
                r.harness_cpu_percent, r.harness_cpu_capacity);
  for (size_t i = 0; i < r.errors.size() && i < 5; ++i) std::printf("  error        %s\n", r.errors[i].c_str());
  std::printf("  result       %s\n", r.verdict.c_str());
  std::fflush(stdout);
}

std::string result_json(const Options& o, const Result& r) {
  JsonWriter j;
  const Counters& c = r.totals;
  j.begin_object().str("tool", "roomcast-bench").num("format", uint64_t(1)).str("label", o.label);
  j.begin_object("config")
      .str("url", o.url).str("receiver_url", o.receiver_url).str("path", o.path).str("namespace", o.nsp)
      .num("connections", uint64_t(o.connections)).num("rooms", uint64_t(o.rooms))
      .str("spread", spread_name(o)).num("zipf_s", o.zipf_s)
      .num("publishers", uint64_t(o.publishers)).num("payload_bytes", uint64_t(o.payload))
      .str("mode", mode_name(o));
  if (o.saturate()) j.num("window", uint64_t(o.window)).null("rate");
  else j.null("window").num("rate", o.rate);
  j.num("duration_s", o.duration).num("warmup_s", o.warmup).num("ramp_per_s", o.ramp)
      .num("connect_timeout_s", o.connect_timeout).num("drain_s", o.drain)
      .num("threads", uint64_t(o.threads)).num("procs", uint64_t(o.procs));
  j.begin_array("source_addrs");
  for (const auto& a : o.source_addrs) j.str({}, a);
  j.end_array();
  if (o.server_pid) j.num("server_pid", uint64_t(o.server_pid)); else j.null("server_pid");
  j.end_object();
  j.num("window_s", r.window_seconds);
  j.begin_object("connections")
      .num("target", uint64_t(o.connections)).num("ready", c.conns_ready)
      .num("failed", c.conns_failed).num("dropped", c.conns_dropped).num("setup_s", r.connect_seconds);
  percentiles_json(j, "connect_ms", r.connect, 1e6);
  j.end_object();
  j.begin_object("publishes").num("measured", c.pubs_measured).num("per_s", r.pubs_per_sec())
      .num("total", c.pubs_total).num("deferred", c.publish_deferred).end_object();
  j.begin_object("delivered").num("measured", c.recv_measured).num("per_s", r.msgs_per_sec())
      .num("total", c.recv_total).end_object();
  percentiles_json(j, "latency_us", r.latency, 1e3);
  j.begin_object("integrity")
      .num("expected", r.expected_deliveries).num("unique_received", c.recv_unique).num("loss", r.loss)
      .num("loss_ratio", r.expected_deliveries ? double(r.loss) / double(r.expected_deliveries) : 0.0)
      .num("duplicates", c.duplicates).num("order_violations", c.order_violations)
      .num("foreign", c.foreign).num("malformed", c.malformed).num("other_events", c.other_events)
      .num("publisher_stalls", c.stalls).end_object();
  if (!r.server_profile.empty())
    j.raw("server_profile", r.server_profile);
  if (o.server_pid && r.server_sampled)
    j.begin_object("server").num("pid", uint64_t(o.server_pid)).num("cpu_percent", r.server_cpu_percent)
        .num("rss_peak_kb", r.server_rss_peak_kb).num("vm_hwm_kb", r.server_hwm_kb).end_object();
  else
    j.null("server");
  j.begin_object("harness").num("cpu_percent", r.harness_cpu_percent)
      .num("cpu_capacity_percent", r.harness_cpu_capacity).boolean("saturated", r.harness_saturated())
      .num("bytes_in", c.bytes_in)
      .num("bytes_out", c.bytes_out).num("recv_rearms", c.recv_rearms).end_object();
  j.begin_array("errors");
  for (const auto& e : r.errors) j.str({}, e);
  j.end_array();
  j.boolean("interrupted", r.interrupted).num("exit_code", uint64_t(r.exit_code)).str("verdict", r.verdict)
      .boolean("ok", r.exit_code == kExitOk);
  j.end_object();
  return j.text() + "\n";
}

int decide_exit(const Options& o, Result& r) {
  (void)o;
  const Counters& c = r.totals;
  const std::string first = r.errors.empty() ? std::string("no detail") : r.errors.front();
  if (r.exit_code == kExitNoConnection) {
    r.verdict = "FAILED: no connection could be set up (" + first + ")";
  } else if (r.exit_code != kExitOk) {
    r.verdict = "FAILED: " + first;
  } else if (r.interrupted) {
    r.exit_code = kExitInterrupted;
    r.verdict = "INTERRUPTED: partial figures";
  } else if (c.recv_total == 0) {
    r.exit_code = kExitNothingDelivered;
    r.verdict = "FAILED: " + group(c.conns_ready) + " connections joined, but no message was delivered";
  } else if (c.conns_failed || c.conns_dropped) {
    r.exit_code = kExitConnFailures;
    r.verdict = "FAILED: " + group(c.conns_failed) + " connections failed and " + group(c.conns_dropped) +
                " dropped; first: " + first;
  } else if (r.loss || c.duplicates || c.order_violations || c.foreign || c.malformed) {
    r.verdict = "OK, with delivery anomalies (see integrity)";
  } else {
    r.verdict = "OK";
  }
  return r.exit_code;
}

}  // namespace roomcast::bench
