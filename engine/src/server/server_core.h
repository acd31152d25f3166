// Shared, mostly immutable server state: config, namespaces, shards.
#pragma once
#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "loop/admission.h"
#include "socketio/broadcast_ack.h"
#include "roomcast/server.h"
#include "util/shared_frame.h"

namespace roomcast::detail {

class Shard;
namespace cluster {
class Adapter;
}

class ServerCore {
 public:
  ServerCore(Server& server, Config config);
  ~ServerCore();

  const Config& config() const { return config_; }
  Server& server() { return server_; }
  unsigned shard_count() const { return unsigned(shards_.size()); }
  Shard& shard(unsigned i) { return *shards_[i]; }

  Namespace& of(std::string_view name);
  Namespace* find_or_create(std::string_view name);
  void add_matcher(std::function<bool(std::string_view)> match, std::function<void(Namespace&)> setup);

  void start();
  void stop();
  void wait();
  uint16_t port() const { return port_; }
  void log(std::string_view line) const;
  std::atomic<uint64_t> emits_refused{0};  // any thread may refuse an emit
  std::atomic<bool> profiling{false};
  BroadcastAckCounters broadcast_acks;  // broadcasts with acks, local and from other nodes
  Admission& admission() { return admission_; }  // connection limits across shards

  // Hands a broadcast to every shard (the caller's own shard inline). False if refused.
  bool dispatch(uint32_t nsp_index, SharedFrame* frame, const std::vector<std::string>& rooms,
                const std::vector<std::string>& except, int64_t t_emit = 0, int64_t t_encoded = 0,
                bool is_volatile = false);
  // Runs f on every shard (the caller's inline). False if refused.
  bool on_every_shard(std::function<void(Shard&)> f);

  // The cluster side: built by Config::adapter, else a cluster::LocalAdapter.
  cluster::Adapter& adapter() { return *adapter_; }
  // Lets the adapter follow which rooms exist on this node (a shard's new namespace state).
  void observe_rooms(ShardNsp& ns, uint32_t nsp_index);

 private:
  Server& server_;
  Config config_;
  Admission admission_;  // after config_, from which it is built
  std::mutex nsp_mu_;
  std::deque<std::unique_ptr<Namespace>> namespaces_;
  std::vector<std::pair<std::function<bool(std::string_view)>, std::function<void(Namespace&)>>> matchers_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<std::thread> threads_;
  std::vector<int> listen_fds_;
  uint16_t port_ = 0;
  bool started_ = false;
  std::unique_ptr<cluster::Adapter> adapter_;  // never null
};

}  // namespace roomcast::detail
