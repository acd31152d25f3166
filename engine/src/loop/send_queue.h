// Per-connection ordered queue of frames waiting to be written.
//
// Entries are shard-local references (LocalRef) to immutable shared frames, so queueing a
// broadcast on a recipient is an index push and a byte count: no copy, no atomic. Entries
// are 32-bit indices into the shard's RefSlab (ref_slab.h); only the shard's own thread
// touches a queue, so the slab is that thread's RefSlab::current.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "loop/ref_slab.h"

namespace roomcast::detail {

class SendQueue {
 public:
  SendQueue() = default;
  SendQueue(const SendQueue&) = delete;
  SendQueue& operator=(const SendQueue&) = delete;
  ~SendQueue() { std::free(items_); }

  bool empty() const { return count_ == 0; }
  uint32_t size() const { return count_; }
  LocalRef* at(uint32_t i) const { return RefSlab::current->at(items_[(head_ + i) & (cap_ - 1)]); }
  LocalRef* front() const { return RefSlab::current->at(items_[head_]); }

  void push(LocalRef* r) {
    if (count_ == cap_) grow();
    items_[(head_ + count_) & (cap_ - 1)] = RefSlab::current->index_of(r);
    ++count_;
  }
  LocalRef* pop() {
    LocalRef* r = front();
    head_ = (head_ + 1) & (cap_ - 1);
    --count_;
    return r;
  }
  // An idle connection keeps a small ring (so steady traffic never allocates) but gives
  // back a large one that a burst left behind.
  void shrink_if_idle() {
    if (count_ == 0 && cap_ > kKeep) {
      std::free(items_);
      items_ = nullptr;
      cap_ = head_ = 0;
    }
  }

 private:
  static constexpr uint32_t kKeep = 16;
  void grow() {
    uint32_t ncap = cap_ ? cap_ * 2 : 8;
    auto* n = static_cast<uint32_t*>(std::malloc(sizeof(uint32_t) * ncap));
    if (!n) throw std::bad_alloc();
    for (uint32_t i = 0; i < count_; ++i) n[i] = items_[(head_ + i) & (cap_ - 1)];
    std::free(items_);
    items_ = n;
    cap_ = ncap;
    head_ = 0;
  }
  uint32_t* items_ = nullptr;
  uint32_t cap_ = 0, head_ = 0, count_ = 0;
};

}  // namespace roomcast::detail
