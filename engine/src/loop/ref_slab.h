// Where a shard's LocalRefs live: one reserved address range, so a send-queue entry is a
// 32-bit index instead of a 64-bit pointer.
//
// Why: under a saturating broadcast every connection of a big room holds hundreds of
// queued frames at once (W2: 10,000 members x ~300 entries), and the queue arrays were the
// largest part of the server's memory. The range is reserved, not committed
// (MAP_NORESERVE): only pages of refs actually live at the same time become resident.
// The bound (max refs live on the shard) has a name: when the slab is full a frame that
// would need a new ref is dropped and counted (frames_dropped).
#pragma once
#include <sys/mman.h>

#include <cstdint>
#include <new>
#include <stdexcept>
#include <vector>

#include "util/shared_frame.h"

namespace roomcast::detail {

// Recipients on one shard share one reference to the frame through this count.
struct LocalRef {
  SharedFrame* frame;
  uint32_t refs;
  bool profiled = false;  // broadcast timing (broadcast_profile.h) wanted for this frame
  int64_t t_emit = 0, t_dequeued = 0, t_submitted = 0;
};

class RefSlab {
 public:
  explicit RefSlab(uint32_t max_refs) : max_(max_refs) {
    void* p = ::mmap(nullptr, size_t(max_refs) * sizeof(LocalRef), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("cannot reserve the frame-reference slab");
    base_ = static_cast<LocalRef*>(p);
  }
  ~RefSlab() { ::munmap(base_, size_t(max_) * sizeof(LocalRef)); }
  RefSlab(const RefSlab&) = delete;
  RefSlab& operator=(const RefSlab&) = delete;

  // A fresh ref, or nullptr when max_refs are live.
  LocalRef* alloc() {
    if (!free_.empty()) {
      LocalRef* r = base_ + free_.back();
      free_.pop_back();
      return r;
    }
    if (next_ == max_) return nullptr;
    return new (base_ + next_++) LocalRef{};
  }
  void free(LocalRef* r) { free_.push_back(index_of(r)); }

  LocalRef* at(uint32_t i) const { return base_ + i; }
  uint32_t index_of(const LocalRef* r) const { return uint32_t(r - base_); }

  // The slab of the shard running on this thread: send queues store indices into it.
  static inline thread_local RefSlab* current = nullptr;

 private:
  LocalRef* base_ = nullptr;
  uint32_t max_;
  uint32_t next_ = 0;  // refs below this were handed out at least once
  std::vector<uint32_t> free_;
};

}  // namespace roomcast::detail
