// How the nodes of a cluster reach each other: named channels with publish/subscribe, as
// Redis pub/sub has them. ClusterAdapter holds the Socket.IO logic and uses only this; a
// transport knows nothing of Socket.IO (cluster/redis/pubsub_transport.h is one).
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace roomcast::detail::cluster {

// Written from several threads (any thread may publish), hence real atomic increments.
struct ClusterCounter {
  std::atomic<uint64_t> v{0};
  void add(uint64_t n = 1) { v.fetch_add(n, std::memory_order_relaxed); }
  uint64_t get() const { return v.load(std::memory_order_relaxed); }
};

// What a transport counts of its own work.
struct TransportCounters {
  ClusterCounter published;        // messages handed to the other nodes
  ClusterCounter publish_dropped;  // the outgoing queue was full, or lost with a connection
  ClusterCounter connection_losses;
  ClusterCounter reconnects;       // successful connections after a loss
};

// What a transport calls, all on its own thread (the "transport thread"), one at a time.
class TransportListener {
 public:
  virtual ~TransportListener() = default;
  // A message on a channel subscribed with subscribe().
  virtual void on_message(std::string_view channel, std::string_view payload) = 0;
  // A message on a channel matching a pattern given to psubscribe().
  virtual void on_pmessage(std::string_view pattern, std::string_view channel, std::string_view payload) = 0;
  // Every turn of the transport's loop, and once more with `stopping` at the end: ends what
  // is past its deadline (everything when stopping). Returns the milliseconds until the
  // next deadline, so that the transport wakes in time; at most `max_wait_ms`.
  virtual int64_t on_tick(bool stopping, int64_t max_wait_ms) = 0;
  // A line for the server's log (connection lost, messages dropped...).
  virtual void log(std::string_view line) = 0;
};

// A publish/subscribe connection to the other nodes. Messages of one publisher arrive in
// the order it published them; a node receives its own messages too (as with Redis).
class Transport {
 public:
  virtual ~Transport() = default;

  // Starts the transport thread, which calls `listener` from then until stop() returns.
  virtual void start(TransportListener& listener) = 0;
  // Joins the transport thread; any thread but that one.
  virtual void stop() = 0;

  // Any thread. Subscriptions last for the transport's life, renewed after a reconnect.
  virtual void subscribe(std::string channel) = 0;
  virtual void psubscribe(std::string pattern) = 0;  // "prefix*": every channel with the prefix
  // Any thread. Queues `payload` for `channel`: false if dropped (bounded queue, counted).
  virtual bool publish(std::string channel, std::string payload) = 0;
  // Any thread. Runs `job` on the transport thread.
  virtual void post(std::function<void()> job) = 0;
  // Transport thread. How many nodes subscribe to `channel`, this one included (Redis's
  // PUBSUB NUMSUB); `then` gets the count on the transport thread, or -1 when the other
  // nodes cannot be reached now.
  virtual void subscriber_count(const std::string& channel, std::function<void(long long)> then) = 0;

  virtual bool connected() const = 0;
  virtual size_t queued() const = 0;  // messages waiting to be published
  virtual const TransportCounters& counters() const = 0;
};

}  // namespace roomcast::detail::cluster
