// Joins a cluster of Socket.IO servers over Redis pub/sub, as a peer of Node servers running
// @socket.io/redis-adapter 8.x (classic mode) and of @socket.io/redis-emitter.
//
// One thread of its own with two Redis connections (hiredis): a subscriber and a publisher,
// both driven by one poll loop. Shards never wait for Redis: a broadcast leaving this node is
// encoded to msgpack on the emitting thread and put on a bounded queue; a broadcast arriving
// is decoded here, once, and handed to the shards through their task queues like any other.
//
// Outage: local delivery never depends on Redis. A lost connection is logged, counted, and
// retried with exponential backoff; subscriptions are renewed on reconnect. Broadcasts keep
// queuing meanwhile up to `max_queue` messages and `max_queue_bytes`; beyond either bound the
// newest is dropped (policy "drop-newest", counted in publish_dropped).
#pragma once
#include <atomic>
#include <chrono>
#include <memory>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cluster/wire/adapter_request.h"
#include "socketio/broadcast_ack.h"
#include "cluster/redis/redis_url.h"
#include "rooms/room_presence.h"
#include "roomcast/args.h"
#include "roomcast/server.h"

struct redisContext;  // hiredis
struct redisReply;

namespace roomcast::detail {

class ServerCore;

// Written from several threads (any thread may publish), hence real atomic increments.
struct RedisCounter {
  std::atomic<uint64_t> v{0};
  void add(uint64_t n = 1) { v.fetch_add(n, std::memory_order_relaxed); }
  uint64_t get() const { return v.load(std::memory_order_relaxed); }
};

struct RedisCounters {
  using Counter = RedisCounter;
  Counter published;        // messages written to Redis
  Counter publish_dropped;  // drop-newest: the outgoing queue was full
  Counter publish_refused;  // an argument had no msgpack form (invalid RawJson)
  Counter received;         // broadcast messages read from Redis
  Counter delivered;        // ...handed to the shards
  Counter skipped;          // own uid, other namespace, no local member of the room
  Counter malformed;        // undecodable messages
  Counter connection_losses;
  Counter reconnects;       // successful connections after a loss
  Counter requests_answered;  // fetchSockets / allRooms / socketsJoin ... from other nodes
  Counter requests_timed_out;  // our cluster-wide fetches that ended without every answer
  Counter server_side_handled;  // serverSideEmit from other nodes given to a handler
  Counter server_side_refused;  // our serverSideEmit with ack: kMaxPendingServerSide reached
  Counter server_side_sent;     // our serverSideEmit requests, with or without ack
};

class RedisAdapter {
 public:
  static constexpr const char* kDropPolicy = "drop-newest";
  // serverSideEmit calls with ack awaiting answers; beyond it a call ends at once with
  // timed_out (counted in server_side_refused), so a caller in a loop cannot grow the table.
  static constexpr size_t kMaxPendingServerSide = 1024;

  RedisAdapter(ServerCore& core, RedisEndpoint endpoint, std::string prefix, size_t max_queue,
               size_t max_queue_bytes);
  ~RedisAdapter();
  RedisAdapter(const RedisAdapter&) = delete;
  RedisAdapter& operator=(const RedisAdapter&) = delete;

  void start();
  void stop();  // joins the thread; any thread but the adapter's own

  // Any thread. A namespace to serve: subscribes to its channels (now, or once connected).
  void watch_namespace(uint32_t index, std::string name);
  // Any thread. Encodes the broadcast once and queues it for Redis. False if it was dropped.
  bool publish_broadcast(std::string_view nsp, std::string_view event, std::span<const Arg> args,
                         std::span<const std::string> rooms, std::span<const std::string> except);

  // Any thread. Requests to every node, as Node's adapter sends them (no response expected):
  // socketsJoin / socketsLeave of `room`, disconnectSockets.
  void publish_request(std::string_view nsp, std::string payload);
  void publish_rooms_op(std::string_view nsp, bool join, std::span<const std::string> rooms,
                        std::span<const std::string> except, std::string_view room);
  void publish_disconnect(std::string_view nsp, std::span<const std::string> rooms,
                          std::span<const std::string> except, bool close);
  // Wraps a fetch_sockets callback so that, given this node's sockets, it also asks the other
  // nodes (expected responders: subscribers of the request channel, minus us; gives up after
  // `requests_timeout_ms`) and then calls `cb` with everything, on the shard that asked (or
  // shard 0 when the caller was no shard).
  FetchCallback cluster_fetch(std::string_view nsp, std::vector<std::string> rooms, std::vector<std::string> except,
                              FetchCallback cb);

  // Any thread. serverSideEmit: with `cb`, asks every other node for an answer and calls
  // `cb` on this thread (see Namespace::server_side_emit_with_ack). False if not sent.
  bool server_side_emit(std::string_view nsp, std::string_view event, std::span<const Arg> args,
                        ServerSideCallback cb);

  // Any thread. The cluster part of Broadcast::emit_with_ack: a BROADCAST request as Node's
  // adapter sends it; every other node reports its client count, then each client's answer,
  // all handed to `group` (cluster_answer, then cluster_ended once every node reported and
  // its clients answered, or at `timeout`).
  void broadcast_with_ack(std::string_view nsp, std::string_view event, std::span<const Arg> args,
                          std::span<const std::string> rooms, std::span<const std::string> except,
                          std::chrono::milliseconds timeout, std::shared_ptr<BroadcastAckGroup> group);

  RoomPresence& presence() { return presence_; }
  const RedisCounters& counters() const { return counters_; }
  bool connected() const { return connected_.load(std::memory_order_relaxed); }
  size_t queued() const;
  const std::string& uid() const { return uid_; }

 private:
  struct Nsp {
    uint32_t index;
    std::string name;
    std::string base;      // socket.io#<nsp>#
    std::string pattern;   // socket.io#<nsp>#*
    std::string request;   // socket.io-request#<nsp>#
    std::string response;  // socket.io-response#<nsp>#
    bool subscribed = false;
  };
  struct PendingFetch {
    std::vector<SocketInfo> sockets;
    uint64_t expected = 0, got = 0;
    int64_t deadline_ms = 0;
    FetchCallback done;  // delivers to the asking shard
  };
  struct PendingServerSide {
    uint64_t expected = 0, got = 0;
    int64_t deadline_ms = 0;
    std::string answers = "[";  // a JSON array in the making, one value per node
    std::vector<std::string> attachments;
    ServerSideCallback done;
  };
  struct PendingBroadcastAck {
    std::shared_ptr<BroadcastAckGroup> group;
    uint64_t servers_expected = 0, servers = 0;  // client counts received
    uint64_t clients = 0, answers = 0;
    int64_t deadline_ms = 0;
  };
  struct Outgoing {
    std::string channel;
    std::string payload;
  };

  void run();
  bool connect();
  void disconnect(const char* why);
  bool subscribe_pending();
  bool flush_outgoing();
  bool read_subscriber();
  bool read_publisher();
  void on_pmessage(std::string_view pattern, std::string_view channel, std::string_view payload);
  void on_message(std::string_view channel, std::string_view payload);
  void on_request(uint32_t nsp_index, const std::string& nsp_name, const std::string& response_channel,
                  std::string_view payload);
  void on_server_side(const std::string& nsp_name, const std::string& response_channel, adapter::Request& q);
  bool on_server_side_answer(adapter::Response& r);
  void on_broadcast_request(uint32_t nsp_index, const std::string& nsp_name, const std::string& response_channel,
                            adapter::Request& q);
  bool on_broadcast_ack_answer(adapter::Response& r);
  void on_response(std::string_view payload);
  bool enqueue(std::string channel, std::string payload);
  void post_job(std::function<void()> job);
  // Adapter thread. Asks PUBSUB NUMSUB `channel` (Node's serverCount()); `then` gets the
  // count, or -1 when Redis is away or the connection broke before the answer.
  void count_subscribers(const std::string& channel, std::function<void(long long)> then);
  void run_jobs();
  void expire_fetches(bool all);
  int poll_timeout_ms() const;
  void wake();
  void wait_backoff(int ms);
  void log(std::string_view line);

  ServerCore& core_;
  RedisEndpoint endpoint_;
  std::string prefix_;
  size_t max_queue_;
  size_t max_queue_bytes_;
  size_t queued_bytes_ = 0;  // guarded by mu_
  std::string uid_;
  RoomPresence presence_;
  RedisCounters counters_;

  mutable std::mutex mu_;  // guards queue_, nsps_
  std::deque<Outgoing> queue_;
  std::vector<Nsp> nsps_;
  std::deque<std::function<void()>> jobs_;  // to run on the adapter thread

  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<bool> connected_{false};
  std::thread thread_;
  ::redisContext* sub_ = nullptr;  // adapter thread only
  ::redisContext* pub_ = nullptr;
  // One entry per command on the publisher connection, in order; empty for PUBLISH.
  std::deque<std::function<void(::redisReply*)>> pub_handlers_;
  std::unordered_map<std::string, PendingFetch> fetches_;  // adapter thread only
  std::unordered_map<std::string, PendingServerSide> server_side_;  // adapter thread only
  // Bounded with the groups themselves (kMaxPendingBroadcastAcks).
  std::unordered_map<std::string, PendingBroadcastAck> broadcast_acks_;  // adapter thread only
  std::atomic<uint64_t> next_broadcast_ack_{0};
  std::atomic<uint64_t> next_server_side_{0};
  uint64_t next_request_ = 0;
  uint32_t requests_timeout_ms_ = 5000;
  bool ever_connected_ = false;
  std::mutex stop_mu_;
};

}  // namespace roomcast::detail
