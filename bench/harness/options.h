// Command-line options of roomcast-bench.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "rooms.h"

namespace roomcast::bench {

struct Options {
  std::string url = "http://127.0.0.1:3000";
  std::string receiver_url;  // non-publishing connections go here when set (cross-node runs)
  std::string path = "/socket.io/";
  std::string nsp = "/";
  uint32_t connections = 1000;
  uint32_t rooms = 10;
  Spread spread = Spread::Uniform;
  double zipf_s = 1.0;
  uint32_t publishers = 10;
  uint32_t payload = 64;
  double rate = 0;          // total publishes/s; 0 = saturate
  uint32_t window = 16;     // saturate: publishes in flight per publisher
  double duration = 10;
  double warmup = 2;
  double ramp = 2000;       // connections/s over all workers
  double connect_timeout = 10;
  double drain = 5;         // longest wait for in-flight messages after the measured window
  uint32_t threads = 1;
  uint32_t procs = 1;
  std::vector<std::string> source_addrs;
  int server_pid = 0;
  std::string profile_url;  // roomcastd admin endpoint, e.g. http://127.0.0.1:9100
  std::string json_file;
  std::string label;
  bool progress = true;
  bool raw = false;         // plain WebSocket pub/sub contract instead of Socket.IO

  bool saturate() const { return rate <= 0; }
  uint32_t workers() const { return threads * procs; }
};

// Parses argv; on --help or an error prints the message and returns the exit code to use
// (0 or 2); returns -1 when the run should go ahead.
int parse_options(int argc, char** argv, Options& out);

}  // namespace roomcast::bench
