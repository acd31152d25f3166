#include "options.h"

#include <CLI/CLI.hpp>
#include <cstdio>

namespace roomcast::bench {

int parse_options(int argc, char** argv, Options& o) {
  CLI::App app{
      "roomcast-bench: load generator for Socket.IO v5 servers (Engine.IO v4 over WebSocket).\n"
      "The server must implement the demo contract: join(room, ack) -> ack(\"ok\");\n"
      "publish(room, ...args) -> to(room).emit(\"message\", ...args).\n"
      "Reports delivered messages/s and publish-to-receive latency percentiles."};
  std::string spread = "uniform";
  bool saturate = false;
  app.add_option("--url", o.url, "server URL (http:// or ws://, no path)")->capture_default_str();
  app.add_option("--receiver-url", o.receiver_url,
                 "connections that do not publish connect here instead (another node of a cluster)");
  app.add_option("--path", o.path, "Engine.IO path")->capture_default_str();
  app.add_option("--namespace", o.nsp, "Socket.IO namespace")->capture_default_str();
  app.add_option("-c,--connections", o.connections, "client connections")
      ->capture_default_str()->check(CLI::Range(1u, 10'000'000u));
  app.add_option("-r,--rooms", o.rooms, "rooms (room-0 .. room-R-1)")
      ->capture_default_str()->check(CLI::Range(1u, 10'000'000u));
  app.add_option("--spread", spread, "room assignment of receivers: uniform (round-robin) or zipf")
      ->capture_default_str()->check(CLI::IsMember({"uniform", "zipf"}));
  app.add_option("--zipf-s", o.zipf_s, "zipf exponent")->capture_default_str()->check(CLI::Range(0.0, 10.0));
  app.add_option("-p,--publishers", o.publishers,
                 "connections that also publish (publisher i is in room i % R)")
      ->capture_default_str()->check(CLI::Range(1u, 10'000'000u));
  app.add_option("--payload", o.payload, "bytes of the published string")
      ->capture_default_str()->check(CLI::Range(1u, 1u << 20));
  auto* rate = app.add_option("--rate", o.rate,
                              "fixed total publish rate (publishes/s over all publishers); latency "
                              "is measured from the intended send time")
                   ->check(CLI::PositiveNumber);
  auto* sat = app.add_flag("--saturate", saturate,
                           "(default) each publisher keeps --window publishes in flight; a publish "
                           "completes when its publisher receives it back");
  rate->excludes(sat);
  app.add_option("-w,--window", o.window, "saturate: publishes in flight per publisher")
      ->capture_default_str()->check(CLI::Range(1u, 1'000'000u));
  app.add_option("-d,--duration", o.duration, "measured seconds")
      ->capture_default_str()->check(CLI::Range(0.1, 86400.0));
  app.add_option("--warmup", o.warmup, "seconds of unmeasured traffic before the measured window")
      ->capture_default_str()->check(CLI::Range(0.0, 3600.0));
  app.add_option("--ramp", o.ramp, "connections opened per second (all workers together)")
      ->capture_default_str()->check(CLI::Range(1.0, 1e7));
  app.add_option("--connect-timeout", o.connect_timeout,
                 "seconds from TCP connect to joined room before a connection counts as failed")
      ->capture_default_str()->check(CLI::Range(0.1, 3600.0));
  app.add_option("--drain", o.drain, "longest wait (s) for in-flight messages after the window")
      ->capture_default_str()->check(CLI::Range(0.0, 600.0));
  app.add_option("-t,--threads", o.threads, "threads per process, each with its own io_uring")
      ->capture_default_str()->check(CLI::Range(1u, 256u));
  app.add_option("--procs", o.procs, "worker processes (each has its own fd limit)")
      ->capture_default_str()->check(CLI::Range(1u, 256u));
  app.add_option("--source-addrs", o.source_addrs,
                 "local addresses to bind outgoing connections to, in turn (comma-separated); "
                 "each address gives another ~64k ports")
      ->delimiter(',');
  app.add_flag("--raw", o.raw,
               "plain WebSocket pub/sub server instead of Socket.IO: the client sends 'join <room>' "
               "(answered 'ok') and 'pub <room> <payload>'; the server sends <payload> to every member "
               "of <room>. --path is the WebSocket path as is (no Engine.IO query)");
  app.add_option("--profile", o.profile_url,
                 "roomcastd admin URL (e.g. http://127.0.0.1:9100): switch its broadcast profiler on, reset it at "
                 "the start of the measured window, and print its stage breakdown next to client latency");
  app.add_option("--server-pid", o.server_pid, "sample this process's CPU and RSS")
      ->check(CLI::PositiveNumber);
  app.add_option("--json", o.json_file, "write the result as JSON to this file");
  app.add_option("--label", o.label, "server name recorded in the result");
  app.add_flag("--progress,!--quiet", o.progress, "one progress line per second on stderr (default on)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  o.spread = spread == "zipf" ? Spread::Zipf : Spread::Uniform;
  if (saturate) o.rate = 0;
  if (o.publishers > o.connections) {
    std::fprintf(stderr, "roomcast-bench: --publishers (%u) must not exceed --connections (%u)\n",
                 o.publishers, o.connections);
    return 2;
  }
  if (o.path.empty() || o.path[0] != '/') {
    std::fprintf(stderr, "roomcast-bench: --path must start with '/'\n");
    return 2;
  }
  if (o.nsp.empty() || o.nsp[0] != '/' || o.nsp.find_first_of(",\"\\?#") != std::string::npos) {
    std::fprintf(stderr, "roomcast-bench: --namespace must start with '/' and contain no , \" \\ ? #\n");
    return 2;
  }
  if (o.connections < o.workers()) {
    std::fprintf(stderr, "roomcast-bench: fewer connections than threads x procs\n");
    return 2;
  }
  return -1;
}

}  // namespace roomcast::bench
