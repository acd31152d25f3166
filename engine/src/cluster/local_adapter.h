// The adapter of a node on its own: there is nobody else, so nothing leaves the node.
#pragma once
#include "cluster/adapter.h"

namespace roomcast::detail::cluster {

// Does nothing cluster-wide. fetch and server_side_emit answer with the local part only, as
// socket.io's in-memory adapter does (serverSideEmitWithAck: no responses, not timed out).
class LocalAdapter final : public Adapter {
 public:
  void watch_namespace(uint32_t, std::string) override {}
  bool cluster_wide() const override { return false; }
  void broadcast(std::string_view, std::string_view, std::span<const Arg>, std::span<const std::string>,
                 std::span<const std::string>) override {}
  void rooms_op(std::string_view, bool, std::span<const std::string>, std::span<const std::string>,
                std::string_view) override {}
  void disconnect(std::string_view, std::span<const std::string>, std::span<const std::string>, bool) override {}
  FetchCallback fetch(std::string_view, std::vector<std::string>, std::vector<std::string>,
                      FetchCallback cb) override;
  bool server_side_emit(std::string_view, std::string_view, std::span<const Arg>, ServerSideCallback cb) override;
  void broadcast_with_ack(std::string_view, std::string_view, std::span<const Arg>, std::span<const std::string>,
                          std::span<const std::string>, std::chrono::milliseconds,
                          std::shared_ptr<BroadcastAckGroup>) override {}
};

}  // namespace roomcast::detail::cluster
