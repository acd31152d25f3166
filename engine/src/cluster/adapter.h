// What the Socket.IO and server layers call to make an operation cluster-wide: the one
// include of cluster/ that socketio/ may use (tools/check_layers.py, layer cluster_api).
//
// Every call comes after the local part of the operation is done or under way (the shards
// are the node's own fan-out); an adapter only adds the other nodes. LocalAdapter, for a
// node on its own, adds nothing; ClusterAdapter speaks to the other nodes over a Transport.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "roomcast/args.h"
#include "roomcast/server.h"

namespace roomcast::detail {
class BroadcastAckGroup;
class RoomPresence;
}  // namespace roomcast::detail

namespace roomcast::detail::cluster {

// The cluster side of a server. Calls come from any thread unless said otherwise.
class Adapter {
 public:
  virtual ~Adapter() = default;

  // Server layer: after the shards run, and before they stop (the adapter hands them work).
  virtual void start() {}
  virtual void stop() {}
  // A namespace this node serves, with its index in the server's namespace table.
  virtual void watch_namespace(uint32_t index, std::string name) = 0;
  // Where the shards report which rooms exist on this node; null when nobody asks.
  virtual RoomPresence* presence() { return nullptr; }
  // Whether other nodes may take part: a broadcast with acks then waits for their part.
  virtual bool cluster_wide() const = 0;

  // Broadcast::emit: the same event to the selected sockets of the other nodes.
  virtual void broadcast(std::string_view nsp, std::string_view event, std::span<const Arg> args,
                         std::span<const std::string> rooms, std::span<const std::string> except) = 0;
  // Broadcast::sockets_join / sockets_leave of `room` on the other nodes.
  virtual void rooms_op(std::string_view nsp, bool join, std::span<const std::string> rooms,
                        std::span<const std::string> except, std::string_view room) = 0;
  // Broadcast::disconnect_sockets on the other nodes.
  virtual void disconnect(std::string_view nsp, std::span<const std::string> rooms,
                          std::span<const std::string> except, bool close) = 0;
  // Broadcast::fetch_sockets: wraps `cb` so that, given this node's sockets, it adds the
  // other nodes' and then runs on the shard that asked (shard 0 when the caller was none).
  virtual FetchCallback fetch(std::string_view nsp, std::vector<std::string> rooms, std::vector<std::string> except,
                              FetchCallback cb) = 0;
  // Namespace::server_side_emit(_with_ack): to the other nodes' handlers; with `cb`, their
  // answers (see Namespace::server_side_emit_with_ack). False if not sent, `cb` then unused.
  virtual bool server_side_emit(std::string_view nsp, std::string_view event, std::span<const Arg> args,
                                ServerSideCallback cb) = 0;
  // Broadcast::emit_with_ack, the other nodes' part: their clients' answers go to `group`
  // (cluster_answer, then cluster_ended). Only called when cluster_wide().
  virtual void broadcast_with_ack(std::string_view nsp, std::string_view event, std::span<const Arg> args,
                                  std::span<const std::string> rooms, std::span<const std::string> except,
                                  std::chrono::milliseconds timeout, std::shared_ptr<BroadcastAckGroup> group) = 0;

  // Adds this adapter's counters to a snapshot of the server's.
  virtual void add_stats(Stats&) const {}
};

}  // namespace roomcast::detail::cluster
