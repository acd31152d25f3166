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
#include "loop/handles.h"
#include "loop/shard.h"
#include "socketio/broadcast_ack.h"
#include "roomcast/server.h"
#include "util/shared_frame.h"

namespace roomcast::detail {

namespace cluster {
class Adapter;
}

// How ServerCore::submit_to meets the target shard's queue bound (Config::max_shard_queue).
enum class Submit : uint8_t {
  // New work (a request, an application's call from another thread): refused at the bound.
  Work,
  // The rest of work the shards already took (a broadcast member's end, a polling answer,
  // frames for a relay, a middleware's verdict): refusing it would strand what waits for it,
  // so it passes the bound. Each piece of admitted work sends a bounded number of these,
  // which bounds them in turn; only an enqueue that cannot allocate refuses one.
  Answer,
};

class ServerCore {
 public:
  ServerCore(Server& server, Config config);
  ~ServerCore();

  const Config& config() const { return config_; }
  Server& server() { return server_; }
  unsigned shard_count() const { return unsigned(shards_.size()); }
  Shard& shard(unsigned i) { return *shards_[i]; }
  Shard& shard(ShardId id) { return *shards_[id.value]; }

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

  // The one way to hand a call to a shard from another thread (or to the target's own
  // thread, for a later turn): queues f to run on shard `to`. False when refused, the queue
  // at its bound (Submit::Work) or unable to grow: counted in tasks_refused and logged
  // (rate-limited) as `what`, f destroyed unrun; the caller then runs its own fallback.
  template <class F>
  [[nodiscard]] bool submit_to(ShardId to, F&& f, Submit kind, std::string_view what) {
    Shard& target = shard(to);
    if ((kind == Submit::Work && !target.has_room()) ||
        !target.post(Task(std::make_unique<Task::Call>(std::forward<F>(f))))) {
      task_refused(to, what);
      return false;
    }
    return true;
  }
  // Runs f now when the caller is shard `to`'s own thread (keeping its order with what the
  // caller does next), else submit_to.
  template <class F>
  [[nodiscard]] bool run_on(ShardId to, F&& f, Submit kind, std::string_view what) {
    if (Shard* here = Shard::current(); here == &shard(to)) {
      f(*here);
      return true;
    }
    return submit_to(to, std::forward<F>(f), kind, what);
  }
  std::atomic<uint64_t> tasks_refused{0};  // submit_to refusals, any thread (Stats::tasks_refused)

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
  std::atomic<int64_t> refusal_logged_ms_{INT64_MIN / 2};  // task_refused's rate limit
  void task_refused(ShardId to, std::string_view what);
  std::unique_ptr<cluster::Adapter> adapter_;  // never null
};

}  // namespace roomcast::detail
