// roomcastd: the standalone server, a thin main over the library with the demo app.
#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <pthread.h>
#include <thread>

#include "admin_http.h"
#include "demo_app.h"
#include "demo_page.h"
#include "roomcast/redis.h"
#include "roomcast/server.h"
#include "roomcast/version.h"

int main(int argc, char** argv) {
  roomcast::Config cfg;
  std::vector<std::string> namespaces = {"/", "/chat"};
  bool quiet = false;
  uint16_t admin_port = 0;
  std::string admin_address = "127.0.0.1";
  std::string demo_bundle;
  std::string redis_url;

  CLI::App app{"roomcastd: a Socket.IO v5 server on sharded io_uring loops, serving the demo app"};
  app.add_option("--address", cfg.address, "listen address (IPv4 or IPv6 literal)")->capture_default_str();
  app.add_option("--port", cfg.port, "listen port (0 = any free port)")->capture_default_str();
  app.add_option("--shards", cfg.shards, "event-loop threads (0 = number of cores)")->capture_default_str();
  app.add_option("--path", cfg.path, "Engine.IO path")->capture_default_str();
  app.add_option("--namespace", namespaces, "namespaces serving the demo app (repeatable)")->capture_default_str();
  app.add_option("--ping-interval", cfg.ping_interval_ms, "Engine.IO ping interval, ms")->capture_default_str();
  app.add_option("--ping-timeout", cfg.ping_timeout_ms, "Engine.IO ping timeout, ms")->capture_default_str();
  app.add_option("--connect-timeout", cfg.connect_timeout_ms, "close connections that join no namespace, ms")->capture_default_str();
  app.add_option("--handshake-timeout", cfg.handshake_timeout_ms, "close TCP connections without an upgrade request, ms")->capture_default_str();
  app.add_option("--upgrade-timeout", cfg.upgrade_timeout_ms, "polling -> WebSocket upgrade must finish within, ms")->capture_default_str();
  app.add_option("--cors-origin", cfg.cors_origins,
                 "allow browsers on this origin (repeatable; '*' for any); default: same origin only");
  app.add_flag("--cors-credentials", cfg.cors_credentials, "send Access-Control-Allow-Credentials: true");
  app.add_option("--demo-page", demo_bundle,
                 "serve a browser chat demo at /demo/ with this socket.io client bundle "
                 "(socket.io-client/dist/socket.io.min.js from npm)");
  app.add_option("--engine-io-path", cfg.engine_io_path,
                 "also mount a bare Engine.IO endpoint here (e.g. /engine.io/) that echoes every message");
  app.add_option("--max-payload", cfg.max_payload, "largest incoming message, bytes")->capture_default_str();
  app.add_option("--max-send-queue", cfg.max_send_queue_bytes, "bytes queued per connection before 'slow consumer'")->capture_default_str();
  app.add_option("--max-connections-per-shard", cfg.max_connections_per_shard, "connections per shard (fixed-file table size)")->capture_default_str();
  app.add_option("--redis", redis_url, "join a Socket.IO cluster over Redis (redis://host:port), as a peer of Node's @socket.io/redis-adapter");
  app.add_option("--shutdown-timeout", cfg.shutdown_timeout_ms,
                 "on SIGTERM/SIGINT: time to flush queued messages before cutting clients, ms")->capture_default_str();
  app.add_option("--max-connections", cfg.max_connections, "connections in all (0 = per-shard bound only); beyond: HTTP 503")->capture_default_str();
  app.add_option("--max-connections-per-address", cfg.max_connections_per_address, "connections per client IP (0 = no limit); beyond: HTTP 503")->capture_default_str();
  app.add_option("--volatile-queue", cfg.volatile_queue_bytes, "bytes queued per connection beyond which volatile emits are skipped")->capture_default_str();
  app.add_flag("--profile", cfg.profile_broadcasts, "time broadcasts stage by stage (see /debug/latency)");
  app.add_option("--admin-port", admin_port, "admin HTTP endpoint port (0 = off): /debug/latency, /metrics")->capture_default_str();
  app.add_option("--admin-address", admin_address, "admin endpoint address")->capture_default_str();
  app.add_flag("--quiet", quiet, "no log lines");
  // Prints "roomcastd <version>" and exits 0 (CLI11_PARSE ends the program there).
  app.set_version_flag("--version", "roomcastd " ROOMCAST_VERSION_STRING);
  CLI11_PARSE(app, argc, argv);
  if (quiet) cfg.log = [](std::string_view) {};
  if (!demo_bundle.empty()) {
    try {
      roomcastd::add_demo_page(cfg, demo_bundle);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "roomcastd: %s\n", e.what());
      return 2;
    }
  }
  if (!redis_url.empty()) {
    try {
      cfg.adapter = roomcast::redis::adapter(redis_url);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "roomcastd: %s\n", e.what());
      return 2;
    }
  }
  if (!cfg.engine_io_path.empty()) {
    // The demo for the bare endpoint: every message comes back as it was, text or binary.
    cfg.engine_io.on_message = [](const roomcast::EngineConnection& c, std::string_view data, bool binary) {
      if (binary)
        c.send_binary({reinterpret_cast<const uint8_t*>(data.data()), data.size()});
      else
        c.send(data);
    };
  }

  // Signals go to a dedicated thread (blocked everywhere else) that asks the server to stop.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  roomcast::Server server(cfg);
  roomcastd::install_demo_app(server, namespaces);
  try {
    server.start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "roomcastd: %s\n", e.what());
    return 1;
  }
  std::printf("roomcastd listening on http://%s:%u%s (%u shards)\n", cfg.address.c_str(), server.port(),
              server.config().path.c_str(), server.shard_count());
  std::printf("try: node -e \"require('socket.io-client').io('http://%s:%u/chat',{transports:['websocket']})"
              ".on('connect',function(){this.emit('join','room1',()=>this.emit('publish','room1','hi'))})"
              ".on('message',m=>{console.log(m);process.exit(0)})\"\n",
              cfg.address.c_str(), server.port());
  std::unique_ptr<roomcastd::AdminHttp> admin;
  if (admin_port) {
    try {
      admin = std::make_unique<roomcastd::AdminHttp>(server, admin_address, admin_port);
      std::printf("admin endpoint on http://%s:%u/debug/latency\n", admin_address.c_str(), admin->port());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "roomcastd: %s\n", e.what());
      server.stop();
      server.wait();
      return 1;
    }
  }
  std::fflush(stdout);

  std::atomic<bool> stopped_by_itself{false};
  std::thread waiter([&] {
    int sig = 0;
    if (sigwait(&sigs, &sig) == 0 && (sig == SIGTERM || sig == SIGINT) && !stopped_by_itself) {
      std::fprintf(stderr, "roomcastd: %s: closing connections (up to %u ms)\n", sig == SIGTERM ? "SIGTERM" : "SIGINT",
                   server.config().shutdown_timeout_ms);
    }
    server.stop();
  });
  server.wait();
  // The server stopped for another reason (or the signal came): unblock the waiter.
  stopped_by_itself = true;
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  auto st = server.stats();
  std::fprintf(stderr, "roomcastd: stopped; accepted %llu, slow consumers %llu, protocol errors %llu\n",
               (unsigned long long)st.accepted, (unsigned long long)st.slow_consumer_disconnects,
               (unsigned long long)st.protocol_errors);
  return 0;
}
