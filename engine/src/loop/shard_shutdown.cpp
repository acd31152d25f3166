// Graceful stop of one shard: what was emitted before the stop reaches its recipients,
// every socket hears a Socket.IO DISCONNECT and every connection a WebSocket close 1001,
// all bounded by Config::shutdown_timeout_ms.
#include "server/server_core.h"
#include "loop/shard.h"

namespace roomcast::detail {

int64_t Shard::begin_shutdown() {
  stopping_ = true;
  const int64_t deadline = now_ms_ + core_.config().shutdown_timeout_ms;
  // Broadcasts handed to this shard before the stop are queued first, so they sit ahead of
  // the DISCONNECT in every send queue. Bounded: other threads may still be emitting.
  for (size_t turns = core_.config().max_shard_queue / 4096 + 2; turns > 0 && tasks_.size_approx() > 0; --turns)
    drain_tasks();
  for (uint32_t slot = 0; slot < conns_.size(); ++slot) {
    Conn& c = *conns_[slot];
    if (c.state == ConnState::Open) {
      for (size_t i = c.sockets.size(); i-- > 0;) {
        if (i >= c.sockets.size()) continue;  // a disconnect handler removed more than one
        Socket& sock = *c.sockets[i];
        if (sock.connected()) socket_disconnect(sock, false, CloseReason::ServerShuttingDown, true);
      }
      close_conn(slot, c, ws::close_code::kGoingAway, CloseReason::ServerShuttingDown);
    } else if (c.state == ConnState::Http) {
      close_conn(slot, c, 0, CloseReason::ServerShuttingDown);
    }
    // A peer that does not read its queue is cut at the shutdown deadline, not earlier:
    // the close linger of close_conn is stretched to it.
    if (c.state == ConnState::Closing && c.close_after_flush) {
      c.open_deadline_ms = deadline;
      reschedule(slot);
    }
  }
  return deadline;
}

}  // namespace roomcast::detail
