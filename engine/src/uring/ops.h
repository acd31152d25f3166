// SQE preparation for the operations the shards and the bench workers submit. Sockets are
// fixed files (a slot of the ring's table, ring.h), except the listener and the wake-up
// eventfd. Each helper fills the SQE and its user_data (user_data.h) in one inline call, so
// the per-send and per-recv cost is what the raw liburing calls were.
#pragma once
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>

#include "uring/ring.h"
#include "uring/user_data.h"

namespace roomcast::uring {

// Chains this SQE to the next one: the next runs after this completes, even if it failed.
inline void link_hard(Sqe* s) { s->flags |= IOSQE_IO_HARDLINK; }
// Chains this SQE to the next one, which is cancelled if this fails.
inline void link(Sqe* s) { s->flags |= IOSQE_IO_LINK; }

// A completion nobody waits for.
inline void ignore_completion(Sqe* s) { io_uring_sqe_set_data64(s, UserData::encode(Op::None)); }

// Multishot accept on an ordinary (non-fixed) listening socket; accepted fds are plain fds.
inline void prep_accept_multishot(Sqe* s, int listen_fd, uint64_t ud) {
  io_uring_prep_multishot_accept(s, listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(s, ud);
}

// Multishot poll on an ordinary fd (the shard's wake-up eventfd).
inline void prep_poll_multishot(Sqe* s, int fd, unsigned poll_mask, uint64_t ud) {
  io_uring_prep_poll_multishot(s, fd, poll_mask);
  io_uring_sqe_set_data64(s, ud);
}

inline void prep_connect(Sqe* s, uint32_t slot, const sockaddr* addr, socklen_t len, uint64_t ud) {
  io_uring_prep_connect(s, int(slot), addr, len);
  s->flags |= IOSQE_FIXED_FILE;
  io_uring_sqe_set_data64(s, ud);
}

// Multishot receive into buffers of buffer group `group` (buffer_ring.h).
inline void prep_recv_multishot(Sqe* s, uint32_t slot, uint16_t group, uint64_t ud) {
  io_uring_prep_recv_multishot(s, int(slot), nullptr, 0, 0);
  s->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
  s->buf_group = group;
  io_uring_sqe_set_data64(s, ud);
}

// Sends never raise SIGPIPE: a peer gone is an -EPIPE completion.
inline void prep_send(Sqe* s, uint32_t slot, const void* data, size_t len, uint64_t ud) {
  io_uring_prep_send(s, int(slot), data, len, MSG_NOSIGNAL);
  s->flags |= IOSQE_FIXED_FILE;
  io_uring_sqe_set_data64(s, ud);
}

// `mh` must stay valid until the SQE is consumed (submitted), not until it completes: the
// ring requires IORING_FEAT_SUBMIT_STABLE (ring.h).
inline void prep_sendmsg(Sqe* s, uint32_t slot, const msghdr* mh, uint64_t ud) {
  io_uring_prep_sendmsg(s, int(slot), mh, MSG_NOSIGNAL);
  s->flags |= IOSQE_FIXED_FILE;
  io_uring_sqe_set_data64(s, ud);
}

inline void prep_shutdown(Sqe* s, uint32_t slot, int how, uint64_t ud) {
  io_uring_prep_shutdown(s, int(slot), how);
  s->flags |= IOSQE_FIXED_FILE;
  io_uring_sqe_set_data64(s, ud);
}

// Closes fixed-file slot `slot` (the socket's last reference in the ring's table).
inline void prep_close(Sqe* s, uint32_t slot, uint64_t ud) {
  io_uring_prep_close_direct(s, slot);
  io_uring_sqe_set_data64(s, ud);
}

// Cancels every operation in flight on fixed-file slot `slot`.
inline void prep_cancel_slot(Sqe* s, uint32_t slot, uint64_t ud) {
  io_uring_prep_cancel_fd(s, int(slot), IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_FD_FIXED);
  io_uring_sqe_set_data64(s, ud);
}

// Cancels the operation submitted with user_data `target`.
inline void prep_cancel(Sqe* s, uint64_t target, uint64_t ud) {
  io_uring_prep_cancel64(s, target, 0);
  io_uring_sqe_set_data64(s, ud);
}

// setsockopt(SOL_SOCKET, SO_LINGER, *opt) on fixed-file slot `slot`, through the ring (a
// fixed file has no process fd to call setsockopt on). IORING_OP_URING_CMD's socket command
// (Linux 6.7): liburing 2.3 has neither the prep function nor the command's number. `opt`
// must stay valid until the SQE is consumed; a kernel without the command fails the SQE.
inline void prep_set_linger(Sqe* s, uint32_t slot, const linger* opt, uint64_t ud) {
  constexpr uint32_t kSocketUringOpSetsockopt = 3;  // SOCKET_URING_OP_SETSOCKOPT
  io_uring_prep_rw(IORING_OP_URING_CMD, s, int(slot), nullptr, 0, 0);
  s->cmd_op = kSocketUringOpSetsockopt;
  s->addr = uint64_t(SOL_SOCKET) | (uint64_t(SO_LINGER) << 32);  // level | optname << 32
  s->file_index = sizeof(linger);                                 // optlen
  s->addr3 = reinterpret_cast<uint64_t>(opt);                     // optval
  s->flags |= IOSQE_FIXED_FILE;
  io_uring_sqe_set_data64(s, ud);
}

}  // namespace roomcast::uring
