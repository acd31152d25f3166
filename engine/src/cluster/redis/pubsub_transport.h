// Redis pub/sub as a cluster Transport: what @socket.io/redis-adapter's classic mode uses.
//
// One thread of its own with two Redis connections (hiredis): a subscriber and a publisher,
// both driven by one poll loop, which also runs the listener (ClusterAdapter) and its jobs.
//
// Outage: a lost connection is logged, counted, and retried with exponential backoff;
// subscriptions are renewed on reconnect. Messages keep queuing meanwhile up to `max_queue`
// messages and `max_queue_bytes`; beyond either bound the newest is dropped (policy
// "drop-newest", counted in publish_dropped).
#pragma once
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cluster/redis/redis_url.h"
#include "cluster/transport.h"

struct redisContext;  // hiredis
struct redisReply;

namespace roomcast::detail::cluster {

class RedisPubSubTransport final : public Transport {
 public:
  static constexpr const char* kDropPolicy = "drop-newest";

  // Events worth telling (connection lost, drops) go to the listener's log.
  RedisPubSubTransport(RedisEndpoint endpoint, size_t max_queue, size_t max_queue_bytes);
  ~RedisPubSubTransport() override;
  RedisPubSubTransport(const RedisPubSubTransport&) = delete;
  RedisPubSubTransport& operator=(const RedisPubSubTransport&) = delete;

  void start(TransportListener& listener) override;
  void stop() override;
  void subscribe(std::string channel) override;
  void psubscribe(std::string pattern) override;
  bool publish(std::string channel, std::string payload) override;
  void post(std::function<void()> job) override;
  void subscriber_count(const std::string& channel, std::function<void(long long)> then) override;
  bool connected() const override { return connected_.load(std::memory_order_relaxed); }
  size_t queued() const override;
  const TransportCounters& counters() const override { return counters_; }

 private:
  struct Outgoing {
    std::string channel;
    std::string payload;
  };
  struct Subscription {
    std::string name;
    bool pattern;
    bool sent = false;  // on the current connection
  };

  void run();
  bool connect();
  void drop_connection(const char* why);
  bool subscribe_pending();
  bool flush_outgoing();
  bool read_subscriber();
  bool read_publisher();
  void run_jobs();
  void wake();
  void wait_backoff(int ms);
  void log(std::string_view line) { listener_->log(line); }

  RedisEndpoint endpoint_;
  size_t max_queue_;
  size_t max_queue_bytes_;
  TransportCounters counters_;
  TransportListener* listener_ = nullptr;

  mutable std::mutex mu_;  // guards queue_, queued_bytes_, subscriptions_, jobs_
  std::deque<Outgoing> queue_;
  size_t queued_bytes_ = 0;
  std::vector<Subscription> subscriptions_;
  std::deque<std::function<void()>> jobs_;  // to run on the transport thread

  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<bool> connected_{false};
  std::thread thread_;
  ::redisContext* sub_ = nullptr;  // transport thread only
  ::redisContext* pub_ = nullptr;
  // One entry per command on the publisher connection, in order; empty for PUBLISH.
  std::deque<std::function<void(::redisReply*)>> pub_handlers_;
  bool ever_connected_ = false;
  std::mutex stop_mu_;
};

}  // namespace roomcast::detail::cluster
