// Joins a cluster of Socket.IO servers as a peer of Node servers running
// @socket.io/redis-adapter 8.x (classic mode) and of @socket.io/redis-emitter: the Socket.IO
// side of the cluster (channels, requests between nodes, their answers and deadlines),
// written once over any Transport. Redis pub/sub is one transport
// (cluster/redis/pubsub_transport.h); tests use an in-process one.
//
// Threads: shards never wait for the other nodes. A broadcast leaving this node is encoded to
// msgpack on the emitting thread and handed to the transport's bounded queue; a message
// arriving is decoded on the transport thread, once, and handed to the shards through their
// task queues like any other broadcast. The tables of pending requests belong to the
// transport thread.
//
// Outage: local delivery never depends on the other nodes. Requests that cannot reach them
// end with the local part (fetch) or as timed out (serverSideEmit, broadcasts with acks).
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cluster/adapter.h"
#include "cluster/transport.h"
#include "cluster/wire/adapter_request.h"
#include "rooms/room_presence.h"
#include "roomcast/args.h"
#include "roomcast/server.h"

namespace roomcast::detail {
class ServerCore;
}

namespace roomcast::detail::cluster {

// What the adapter counts of the Socket.IO traffic (the transport counts its own).
struct ClusterCounters {
  ClusterCounter publish_refused;  // an argument had no msgpack form (invalid RawJson)
  ClusterCounter received;         // broadcast messages from other nodes
  ClusterCounter delivered;        // ...handed to the shards
  ClusterCounter skipped;          // own uid, other namespace, no local member of the room
  ClusterCounter malformed;        // undecodable messages
  ClusterCounter requests_answered;    // fetchSockets / allRooms / socketsJoin ... from other nodes
  ClusterCounter requests_timed_out;   // our cluster-wide requests that ended without every answer
  ClusterCounter server_side_handled;  // serverSideEmit from other nodes given to a handler
  ClusterCounter server_side_refused;  // our serverSideEmit with ack: kMaxPendingServerSide reached
  ClusterCounter server_side_sent;     // our serverSideEmit requests, with or without ack
};

struct ClusterOptions {
  std::string prefix = "socket.io";  // the channels' prefix: the Node adapter's `key` option
  // How long a request to the other nodes waits for their answers (Node's requestsTimeout).
  std::chrono::milliseconds requests_timeout{5000};
  std::string log_prefix = "cluster: ";  // before each log line, the transport's too
};

class ClusterAdapter final : public Adapter, private TransportListener {
 public:
  // serverSideEmit calls with ack awaiting answers; beyond it a call ends at once with
  // timed_out (counted in server_side_refused), so a caller in a loop cannot grow the table.
  static constexpr size_t kMaxPendingServerSide = 1024;

  ClusterAdapter(ServerCore& core, std::unique_ptr<Transport> transport, ClusterOptions options);
  ~ClusterAdapter() override;
  ClusterAdapter(const ClusterAdapter&) = delete;
  ClusterAdapter& operator=(const ClusterAdapter&) = delete;

  void start() override;
  void stop() override;  // any thread but the transport's own

  // Subscribes to the namespace's channels: broadcasts, requests, responses.
  void watch_namespace(uint32_t index, std::string name) override;
  RoomPresence* presence() override { return &presence_; }
  bool cluster_wide() const override { return true; }

  void broadcast(std::string_view nsp, std::string_view event, std::span<const Arg> args,
                 std::span<const std::string> rooms, std::span<const std::string> except) override;
  // As Node's adapter sends them: no answer expected.
  void rooms_op(std::string_view nsp, bool join, std::span<const std::string> rooms,
                std::span<const std::string> except, std::string_view room) override;
  void disconnect(std::string_view nsp, std::span<const std::string> rooms, std::span<const std::string> except,
                  bool close) override;
  // Expected responders: subscribers of the request channel, minus this node; gives up
  // after `requests_timeout` with what has arrived.
  FetchCallback fetch(std::string_view nsp, std::vector<std::string> rooms, std::vector<std::string> except,
                      FetchCallback cb) override;
  // With `cb`, asks every other node for an answer; `cb` runs on the transport thread.
  bool server_side_emit(std::string_view nsp, std::string_view event, std::span<const Arg> args,
                        ServerSideCallback cb) override;
  // A BROADCAST request as Node's adapter sends it; every other node reports its client
  // count, then each client's answer (cluster_answer, then cluster_ended once every node
  // reported and its clients answered, or at `timeout`).
  void broadcast_with_ack(std::string_view nsp, std::string_view event, std::span<const Arg> args,
                          std::span<const std::string> rooms, std::span<const std::string> except,
                          std::chrono::milliseconds timeout, std::shared_ptr<BroadcastAckGroup> group) override;

  void add_stats(Stats& s) const override;

  const ClusterCounters& counters() const { return counters_; }
  const Transport& transport() const { return *transport_; }
  const std::string& uid() const { return uid_; }

 private:
  struct Nsp {
    uint32_t index;
    std::string name;
    std::string base;      // socket.io#<nsp>#
    std::string pattern;   // socket.io#<nsp>#*
    std::string request;   // socket.io-request#<nsp>#
    std::string response;  // socket.io-response#<nsp>#
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

  // TransportListener: the transport thread.
  void on_message(std::string_view channel, std::string_view payload) override;
  void on_pmessage(std::string_view pattern, std::string_view channel, std::string_view payload) override;
  int64_t on_tick(bool stopping, int64_t max_wait_ms) override;

  void on_request(uint32_t nsp_index, const std::string& nsp_name, const std::string& response_channel,
                  std::string_view payload);
  void on_server_side(const std::string& nsp_name, const std::string& response_channel, adapter::Request& q);
  bool on_server_side_answer(adapter::Response& r);
  void on_broadcast_request(uint32_t nsp_index, const std::string& nsp_name, const std::string& response_channel,
                            adapter::Request& q);
  bool on_broadcast_ack_answer(adapter::Response& r);
  void on_response(std::string_view payload);
  void publish_request(std::string_view nsp, std::string payload);
  void answer_server_side(const ServerSideCallback& cb, bool timed_out, std::string answers,
                          std::vector<std::string> attachments);
  void log(std::string_view line) override;

  ServerCore& core_;
  std::unique_ptr<Transport> transport_;
  ClusterOptions options_;
  std::string uid_;
  RoomPresence presence_;
  ClusterCounters counters_;

  mutable std::mutex mu_;  // guards nsps_
  std::vector<Nsp> nsps_;

  std::unordered_map<std::string, PendingFetch> fetches_;           // transport thread only
  std::unordered_map<std::string, PendingServerSide> server_side_;  // transport thread only
  // Bounded with the groups themselves (kMaxPendingBroadcastAcks).
  std::unordered_map<std::string, PendingBroadcastAck> broadcast_acks_;  // transport thread only
  std::atomic<uint64_t> next_broadcast_ack_{0};
  std::atomic<uint64_t> next_server_side_{0};
  uint64_t next_request_ = 0;  // transport thread only
  std::mutex stop_mu_;
  bool started_ = false, stopped_ = false;  // guarded by stop_mu_
};

}  // namespace roomcast::detail::cluster
