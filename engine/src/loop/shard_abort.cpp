// Aborting a connection with a TCP reset instead of a FIN exchange. Used at the hard send-queue
// bound: a peer that stopped reading would otherwise keep the kernel's send buffer (up to
// megabytes) alive for as long as the orphaned socket retries; with SO_LINGER {on, 0} the
// close discards it and the peer sees ECONNRESET.
#include <sys/socket.h>

#include "loop/shard.h"
#include "uring/ops.h"

namespace roomcast::detail {

namespace {

const linger kLingerZero{1, 0};

}  // namespace

void Shard::abort_conn(uint32_t slot, Conn& c) {
  if (c.fd_closing) return;
  make_room(3);  // this, then begin_close's two, as one linked chain
  // The socket sits only in the ring's fixed-file table, so setsockopt goes through the ring.
  uring::Sqe* s = sqe();
  uring::prep_set_linger(s, slot, &kLingerZero, uring::UserData::encode(uring::Op::None));
  // Hard link: the cancel and close of begin_close run even where the kernel lacks the
  // command (the peer then sees a plain close). Nothing waits for its completion.
  uring::link_hard(s);
  counters_.connections_reset.add();
  begin_close(slot, c, /*reset=*/true);
}

}  // namespace roomcast::detail
