// roomcast-bench: a load generator for Socket.IO v5 servers that implement the demo
// contract (join / publish / message). See options.cpp for the flags.
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstring>
#include <fstream>

#include "coordinator.h"
#include "report.h"
#include "url.h"

using namespace roomcast::bench;

namespace {

bool resolve(const std::string& host, uint16_t port, Endpoint& out, std::string& err) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (rc != 0 || !res) {
    err = "cannot resolve '" + host + "': " + gai_strerror(rc);
    return false;
  }
  std::memcpy(&out.addr, res->ai_addr, res->ai_addrlen);
  out.len = socklen_t(res->ai_addrlen);
  ::freeaddrinfo(res);
  return true;
}

bool parse_source(const std::string& s, int family, Endpoint& out) {
  if (family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&out.addr);
    a->sin_family = AF_INET;
    out.len = sizeof(sockaddr_in);
    return ::inet_pton(AF_INET, s.c_str(), &a->sin_addr) == 1;
  }
  auto* a = reinterpret_cast<sockaddr_in6*>(&out.addr);
  a->sin6_family = AF_INET6;
  out.len = sizeof(sockaddr_in6);
  return ::inet_pton(AF_INET6, s.c_str(), &a->sin6_addr) == 1;
}

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "roomcast-bench: %s\n", msg.c_str());
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (const int rc = parse_options(argc, argv, opt); rc >= 0) return rc;

  std::string err;
  const auto url = parse_url(opt.url, err);
  if (!url) return usage_error(err);
  RunPlan plan;
  plan.opt = &opt;
  plan.host_header = url->host_header;
  plan.upgrade_path = opt.path;
  if (!resolve(url->host, url->port, plan.target, err)) return usage_error(err);
  plan.receiver_target = plan.target;
  if (!opt.receiver_url.empty()) {
    const auto rurl = parse_url(opt.receiver_url, err);
    if (!rurl) return usage_error(err);
    if (!resolve(rurl->host, rurl->port, plan.receiver_target, err)) return usage_error(err);
  }
  for (const std::string& s : opt.source_addrs) {
    Endpoint e;
    if (!parse_source(s, plan.target.addr.ss_family, e))
      return usage_error("bad --source-addrs entry '" + s + "' (must be an address of the server's family)");
    plan.sources.push_back(e);
  }
  plan.rooms = RoomPlan(opt.rooms, opt.publishers, opt.spread, opt.zipf_s);

  // Each thread holds its sockets in its ring's fixed-file table, which RLIMIT_NOFILE
  // bounds per ring: raise the soft limit and say early if a thread would exceed it.
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
    const uint64_t per_thread = (uint64_t(opt.connections) + opt.workers() - 1) / opt.workers();
    if (rl.rlim_cur != RLIM_INFINITY && per_thread + 64 > rl.rlim_cur)
      return usage_error(std::to_string(per_thread) + " connections per thread exceed the fd limit (" +
                         std::to_string(rl.rlim_cur) + "): use more --threads or --procs");
  }
  if (opt.source_addrs.empty() && opt.connections > 28000) {
    std::fprintf(stderr,
                 "roomcast-bench: warning: %u connections to one address without --source-addrs may run out "
                 "of ephemeral ports\n",
                 opt.connections);
  }

  Result result;
  try {
    run_benchmark(opt, plan, result);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "roomcast-bench: %s\n", e.what());
    return kExitInternal;
  }
  print_table(opt, result);
  if (!opt.json_file.empty()) {
    std::ofstream f(opt.json_file);
    f << result_json(opt, result);
    if (!f) {
      std::fprintf(stderr, "roomcast-bench: cannot write %s\n", opt.json_file.c_str());
      if (result.exit_code == kExitOk) result.exit_code = kExitInternal;
    }
  }
  if (result.exit_code != kExitOk) std::fprintf(stderr, "roomcast-bench: %s\n", result.verdict.c_str());
  return result.exit_code;
}
