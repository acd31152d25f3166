// roomcast-ceiling: the kernel-ceiling baseline of the side-by-side benchmarks.
// Usage: roomcast-ceiling --mode write|writev [--host 127.0.0.1] [--port 3000]
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <map>

#include "ceiling_server.h"

namespace {
ceiling::Server* g_server = nullptr;
void on_signal(int) {
  if (g_server != nullptr) g_server->stop();
}
}  // namespace

int main(int argc, char** argv) {
  ceiling::Options opts;
  bool quiet = false;
  CLI::App app{"roomcast-ceiling: minimal epoll Socket.IO fan-out server (join/publish/broadcast only), a baseline"};
  const std::map<std::string, ceiling::WriteMode> modes{{"write", ceiling::WriteMode::PerMessage},
                                                        {"writev", ceiling::WriteMode::Batched}};
  app.add_option("--mode", opts.mode, "write: one write() per message per socket; writev: one batched writev() per socket per loop turn")
      ->transform(CLI::CheckedTransformer(modes))
      ->required();
  app.add_option("--host", opts.host, "IPv4 listen address")->capture_default_str();
  app.add_option("--port", opts.port, "listen port (0 = any free port)")->capture_default_str();
  app.add_option("--max-send-queue", opts.max_send_queue, "bytes queued per connection before it is closed as a slow consumer")
      ->capture_default_str();
  app.add_option("--ping-interval", opts.ping_interval_ms, "Engine.IO ping interval, ms")->capture_default_str();
  app.add_option("--shards", [](const CLI::results_t&) { return true; }, "ignored (CLI parity with roomcastd; one thread)");
  app.add_flag("--quiet", quiet, "no log lines");
  CLI11_PARSE(app, argc, argv);

  ceiling::Server server(opts);
  std::string err;
  if (!server.listen(err)) {
    std::fprintf(stderr, "roomcast-ceiling: %s\n", err.c_str());
    return 1;
  }
  g_server = &server;
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  if (!quiet) {
    std::printf("roomcast-ceiling (%s) listening on %s:%u\n", opts.mode == ceiling::WriteMode::Batched ? "writev" : "write",
                opts.host.c_str(), server.port());
    std::fflush(stdout);
  }
  server.run();
  if (!quiet) {
    const auto& s = server.stats();
    std::printf("roomcast-ceiling: connections %llu publishes %llu deliveries %llu slow consumers %llu\n",
                static_cast<unsigned long long>(s.connections), static_cast<unsigned long long>(s.publishes),
                static_cast<unsigned long long>(s.deliveries), static_cast<unsigned long long>(s.slow_consumers));
  }
  g_server = nullptr;
  return 0;
}
