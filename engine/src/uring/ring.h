// One io_uring, set up the way the engine's shards and the bench harness's workers both want
// it: the strongest single-issuer mode the kernel takes, stable submissions, and a sparse
// fixed-file table for the sockets. The rest of the engine reaches liburing only through
// uring/ (tools/check_layers.py holds that).
//
// Include after <concurrentqueue.h> where both are used: the kernel headers define a
// BLOCK_SIZE macro that collides with the queue's member of that name.
#pragma once
#include <liburing.h>

#include <cstdint>
#include <optional>
#include <string>

namespace roomcast::uring {

using Sqe = io_uring_sqe;
using Cqe = io_uring_cqe;

// What a ring needs at set-up.
struct RingConfig {
  unsigned entries = 4096;   // submission queue size
  unsigned cq_entries = 0;   // completion queue size; 0 = the kernel's default (2 x entries)
  unsigned fixed_files = 0;  // sparse fixed-file table (socket slots); 0 = none
};

// A set-up step that failed, with its errno (liburing's negative returns stored positive).
struct SetupError {
  enum class Step : uint8_t { CreateRing, Features, FixedFiles, BufferRing } step{};
  const char* what = "";  // the call or check that failed, for the message
  int err = 0;
  std::string message() const;
};

// A completion's payload, flags decoded.
inline uint64_t user_data(const Cqe* c) { return c->user_data; }
inline bool more(uint32_t cqe_flags) { return cqe_flags & IORING_CQE_F_MORE; }

// One ring, used by the thread that created it (IORING_SETUP_SINGLE_ISSUER where the kernel
// has it). Everything per SQE or per CQE is inline.
class Ring {
 public:
  Ring() = default;
  ~Ring() { exit(); }
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  // Creates the ring on the calling thread. Tries single-issuer with deferred task running
  // first (completions run only when this thread waits: no inter-processor interrupts),
  // then weaker modes for older kernels. Requires IORING_FEAT_SUBMIT_STABLE (Linux 5.5):
  // the kernel has copied an SQE's msghdr and iovecs once it consumed the SQE, which is
  // what lets send_scratch.h reuse them after every submit.
  std::optional<SetupError> init(const RingConfig& cfg);
  bool ok() const { return ok_; }
  unsigned features() const { return features_; }
  // Tears the ring down; pending operations are cancelled. Idempotent.
  void exit();

  // A free SQE, or null when the submission queue is full (the caller submits and retries).
  Sqe* get_sqe() { return io_uring_get_sqe(&ring_); }
  unsigned sq_space_left() { return io_uring_sq_space_left(&ring_); }
  unsigned sq_ready() { return io_uring_sq_ready(&ring_); }  // prepared, not yet consumed
  int submit() { return io_uring_submit(&ring_); }
  // Submits, then waits for `wait_nr` completions or `timeout_ns`. -ETIME on the timeout.
  int submit_and_wait(unsigned wait_nr, int64_t timeout_ns) {
    __kernel_timespec ts{timeout_ns / 1'000'000'000, timeout_ns % 1'000'000'000};
    Cqe* cqe = nullptr;
    return io_uring_submit_and_wait_timeout(&ring_, &cqe, wait_nr, &ts, nullptr);
  }
  // Hands every completion ready now to `f(Cqe*)`, then releases them to the kernel.
  template <class F>
  unsigned for_each_cqe(F&& f) {
    unsigned head, seen = 0;
    Cqe* cqe;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      f(cqe);
      ++seen;
    }
    io_uring_cq_advance(&ring_, seen);
    return seen;
  }

  // Moves `fd` into fixed-file slot `slot` (the caller closes its own fd after). 0 or -errno.
  int set_file(unsigned slot, int fd) {
    const int r = io_uring_register_files_update(&ring_, slot, &fd, 1);  // files updated, or -errno
    return r < 0 ? r : 0;
  }

  io_uring* raw() { return &ring_; }  // for the other uring/ parts (buffer_ring.h)

 private:
  io_uring ring_{};
  bool ok_ = false;
  unsigned features_ = 0;
};

}  // namespace roomcast::uring
