#include "uring/buffer_ring.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstdlib>

namespace roomcast::uring {

std::optional<SetupError> BufferRing::init(Ring& ring, uint16_t group, uint32_t count, uint32_t size) {
  if (count == 0 || (count & (count - 1)) || count > 32768) return SetupError{SetupError::Step::BufferRing, "buffer ring size", EINVAL};
  // The ring of buffer descriptors is shared with the kernel: page-aligned memory.
  void* mem = ::mmap(nullptr, sizeof(io_uring_buf) * count, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE,
                     -1, 0);
  if (mem == MAP_FAILED) return SetupError{SetupError::Step::BufferRing, "mmap of the buffer ring", errno};
  ring_ = static_cast<io_uring_buf_ring*>(mem);
  count_ = count;
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(mem);
  reg.ring_entries = count;
  reg.bgid = group;
  if (int err = io_uring_register_buf_ring(ring.raw(), &reg, 0); err < 0)
    return SetupError{SetupError::Step::BufferRing, "io_uring_register_buf_ring", -err};
  io_uring_buf_ring_init(ring_);
  base_ = static_cast<uint8_t*>(std::malloc(size_t(size) * count));
  if (!base_) return SetupError{SetupError::Step::BufferRing, "receive buffers", ENOMEM};
  size_ = size;
  group_ = group;
  mask_ = uint32_t(io_uring_buf_ring_mask(count));
  for (uint32_t i = 0; i < count; ++i) recycle(uint16_t(i));
  publish();
  return std::nullopt;
}

void BufferRing::release() {
  std::free(base_);
  base_ = nullptr;
  if (ring_) ::munmap(ring_, sizeof(io_uring_buf) * count_);
  ring_ = nullptr;
}

}  // namespace roomcast::uring
