// How a server joins a cluster of Socket.IO servers: Config::adapter. A factory rather than
// an object, because the adapter is bound to the server that builds it.
#pragma once
#include <functional>
#include <memory>

namespace roomcast {

namespace detail {
class ServerCore;
namespace cluster {
class Adapter;
}
}  // namespace detail

// Builds the server's cluster adapter when the Server is constructed. Empty (the default):
// a node on its own. Made by roomcast::redis::adapter() (roomcast/redis.h).
struct AdapterFactory {
  std::function<std::unique_ptr<detail::cluster::Adapter>(detail::ServerCore&)> make;
  explicit operator bool() const { return bool(make); }
};

}  // namespace roomcast
