// A provided-buffer ring: receive buffers the kernel picks from when a multishot recv has
// data, so a connection holds no buffer of its own while it waits.
//
// Buffers are `count` slices of `size` bytes in one allocation; a completion names the one
// it filled (buffer_of), the owner reads it, recycles it, and publish() hands every buffer
// recycled since the last call back to the kernel with one store (once per loop turn).
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>

#include "uring/ring.h"

namespace roomcast::uring {

class BufferRing {
 public:
  BufferRing() = default;
  ~BufferRing() { release(); }
  BufferRing(const BufferRing&) = delete;
  BufferRing& operator=(const BufferRing&) = delete;

  // Registers `count` (a power of two, at most 32768) buffers of `size` bytes with `ring` as
  // buffer group `group`, all of them available.
  std::optional<SetupError> init(Ring& ring, uint16_t group, uint32_t count, uint32_t size);
  // Frees the memory. Only after the ring is gone (Ring::exit) or the group unregistered:
  // the kernel may write into a buffer until then.
  void release();

  uint16_t group() const { return group_; }
  uint32_t buffer_size() const { return size_; }
  uint8_t* data(uint16_t bid) const { return base_ + size_t(bid) * size_; }

  // The buffer a completion filled, if it carries one (IORING_CQE_F_BUFFER).
  static std::optional<uint16_t> buffer_of(uint32_t cqe_flags) {
    if (!(cqe_flags & IORING_CQE_F_BUFFER)) return std::nullopt;
    return uint16_t(cqe_flags >> IORING_CQE_BUFFER_SHIFT);
  }

  // Gives buffer `bid` back; the kernel sees it after the next publish().
  void recycle(uint16_t bid) {
    io_uring_buf_ring_add(ring_, data(bid), size_, bid, int(mask_), int(pending_));
    ++pending_;
  }
  void publish() {
    if (pending_ == 0) return;
    io_uring_buf_ring_advance(ring_, int(pending_));
    pending_ = 0;
  }

 private:
  io_uring_buf_ring* ring_ = nullptr;
  uint8_t* base_ = nullptr;
  uint32_t count_ = 0, size_ = 0, mask_ = 0;
  uint32_t pending_ = 0;  // recycled, not yet published
  uint16_t group_ = 0;
};

}  // namespace roomcast::uring
