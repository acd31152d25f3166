// Volatile emits: droppable messages (socket.io's `volatile` flag). A connection that is
// behind skips them instead of queueing towards the hard bound, where it would be cut as a
// slow consumer; what it does get stays in order.
#include "server/server_core.h"
#include "loop/shard.h"

namespace roomcast::detail {

bool Shard::skip_volatile(const Conn& c, size_t size) {
  const Config& cfg = core_.config();
  // The second test keeps a volatile message from ever being what crosses the hard bound,
  // even if the soft limit was configured above it.
  if (c.queued_bytes > cfg.volatile_queue_bytes || c.queued_bytes + size > cfg.max_send_queue_bytes) {
    counters_.volatile_drops.add();
    return true;
  }
  return false;
}

}  // namespace roomcast::detail
