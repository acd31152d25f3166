#include "cluster/local_adapter.h"

namespace roomcast::detail::cluster {

// The local result is the whole result: the callback stays as it is.
FetchCallback LocalAdapter::fetch(std::string_view, std::vector<std::string>, std::vector<std::string>,
                                  FetchCallback cb) {
  return cb;
}

// Nobody to wait for: answered at once, inside the call, as Node's adapter does when alone.
bool LocalAdapter::server_side_emit(std::string_view, std::string_view, std::span<const Arg>, ServerSideCallback cb) {
  if (cb) cb(false, Args{});
  return true;
}

}  // namespace roomcast::detail::cluster
