#include "uring/ring.h"

#include <cstring>

namespace roomcast::uring {

std::string SetupError::message() const { return std::string(what) + ": " + std::strerror(err); }

std::optional<SetupError> Ring::init(const RingConfig& cfg) {
  // Strongest single-threaded mode first; older kernels reject the newer flags.
  const unsigned attempts[] = {
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN,
      IORING_SETUP_COOP_TASKRUN,
      0,
  };
  int err = 0;
  for (unsigned flags : attempts) {
    io_uring_params p{};
    p.flags = flags;
    if (cfg.cq_entries) {
      p.flags |= IORING_SETUP_CQSIZE;
      p.cq_entries = cfg.cq_entries;
    }
    err = io_uring_queue_init_params(cfg.entries, &ring_, &p);
    if (err == 0) {
      features_ = p.features;
      break;
    }
  }
  if (err < 0) return SetupError{SetupError::Step::CreateRing, "io_uring_queue_init", -err};
  ok_ = true;
  if (!(features_ & IORING_FEAT_SUBMIT_STABLE)) return SetupError{SetupError::Step::Features, "io_uring lacks IORING_FEAT_SUBMIT_STABLE", ENOSYS};
  if (cfg.fixed_files) {
    // Sockets live in the ring's fixed-file table, not the process fd table: no fd per
    // connection against the process limit, and no fd lookup per operation.
    err = io_uring_register_files_sparse(&ring_, cfg.fixed_files);
    if (err < 0) return SetupError{SetupError::Step::FixedFiles, "io_uring_register_files_sparse", -err};
  }
  return std::nullopt;
}

void Ring::exit() {
  if (!ok_) return;
  io_uring_queue_exit(&ring_);
  ok_ = false;
}

}  // namespace roomcast::uring
