// Aborting a connection with a TCP reset instead of a FIN exchange. Used at the hard send-queue
// bound: a peer that stopped reading would otherwise keep the kernel's send buffer (up to
// megabytes) alive for as long as the orphaned socket retries; with SO_LINGER {on, 0} the
// close discards it and the peer sees ECONNRESET.
#include <sys/socket.h>

#include "loop/shard.h"

namespace roomcast::detail {

namespace {

// io_uring socket commands (linux/io_uring.h since 6.7; liburing 2.3 predates them).
constexpr uint32_t kSocketUringOpSetsockopt = 3;
const linger kLingerZero{1, 0};

}  // namespace

void Shard::abort_conn(uint32_t slot, Conn& c) {
  if (c.fd_closing) return;
  make_room(3);  // this, then begin_close's two, as one linked chain
  // The socket sits only in the ring's fixed-file table, so setsockopt goes through the ring.
  io_uring_sqe* s = sqe();
  io_uring_prep_rw(IORING_OP_URING_CMD, s, int(slot), nullptr, 0, 0);
  s->cmd_op = kSocketUringOpSetsockopt;
  s->addr = uint64_t(SOL_SOCKET) | (uint64_t(SO_LINGER) << 32);  // level | optname << 32
  s->file_index = sizeof(kLingerZero);                            // optlen
  s->addr3 = reinterpret_cast<uint64_t>(&kLingerZero);            // optval
  // Hard link: the cancel and close of begin_close run even where the kernel lacks the
  // command (the peer then sees a plain close). Completion tag 0 is ignored.
  s->flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK;
  io_uring_sqe_set_data64(s, 0);
  counters_.connections_reset.add();
  begin_close(slot, c, /*reset=*/true);
}

}  // namespace roomcast::detail
