// Namespace's server-side events: the public face of serverSideEmit. The cluster traffic
// itself is the cluster adapter's (cluster/cluster_adapter.cpp).
#include <array>

#include "cluster/adapter.h"
#include "roomcast/server.h"
#include "server/server_core.h"

namespace roomcast {

namespace {

// socket.io refuses these: they name its own lifecycle events on a namespace.
bool reserved(std::string_view event) {
  static constexpr std::array<std::string_view, 6> names = {"connect",       "connect_error", "disconnect",
                                                            "disconnecting", "newListener",   "removeListener"};
  for (auto n : names)
    if (n == event) return true;
  return false;
}

}  // namespace

Namespace& Namespace::on_server_side(std::string event, ServerSideHandler h) {
  std::lock_guard lock(server_side_mu_);
  server_side_handlers_[std::move(event)] = std::move(h);
  return *this;
}

ServerSideHandler Namespace::server_side_handler(std::string_view event) const {
  std::lock_guard lock(server_side_mu_);
  auto it = server_side_handlers_.find(std::string(event));
  return it == server_side_handlers_.end() ? ServerSideHandler{} : it->second;
}

bool Namespace::server_side_emit_args(std::string_view event, std::span<const Arg> args) {
  if (reserved(event)) return false;
  return server_->core().adapter().server_side_emit(name_, event, args, nullptr);
}

bool Namespace::server_side_emit_with_ack(std::string_view event, std::span<const Arg> args, ServerSideCallback cb) {
  if (!cb) return server_side_emit_args(event, args);
  if (reserved(event)) return false;
  return server_->core().adapter().server_side_emit(name_, event, args, std::move(cb));
}

}  // namespace roomcast
