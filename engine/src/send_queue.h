// Per-connection ordered queue of frames waiting to be written.
//
// Entries are shard-local references (LocalRef) to immutable shared frames, so queueing a
// broadcast on a recipient is a pointer push and a byte count: no copy, no atomic.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "shared_frame.h"

namespace roomcast::detail {

// Recipients on one shard share one reference to the frame through this count.
struct LocalRef {
  SharedFrame* frame;
  uint32_t refs;
  bool profiled = false;  // broadcast timing (broadcast_profile.h) wanted for this frame
  int64_t t_emit = 0, t_dequeued = 0, t_submitted = 0;
};

class SendQueue {
 public:
  SendQueue() = default;
  SendQueue(const SendQueue&) = delete;
  SendQueue& operator=(const SendQueue&) = delete;
  ~SendQueue() { std::free(items_); }

  bool empty() const { return count_ == 0; }
  uint32_t size() const { return count_; }
  LocalRef* at(uint32_t i) const { return items_[(head_ + i) & (cap_ - 1)]; }
  LocalRef* front() const { return items_[head_]; }

  void push(LocalRef* r) {
    if (count_ == cap_) grow();
    items_[(head_ + count_) & (cap_ - 1)] = r;
    ++count_;
  }
  LocalRef* pop() {
    LocalRef* r = items_[head_];
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
    auto** n = static_cast<LocalRef**>(std::malloc(sizeof(LocalRef*) * ncap));
    if (!n) throw std::bad_alloc();
    for (uint32_t i = 0; i < count_; ++i) n[i] = at(i);
    std::free(items_);
    items_ = n;
    cap_ = ncap;
    head_ = 0;
  }
  LocalRef** items_ = nullptr;
  uint32_t cap_ = 0, head_ = 0, count_ = 0;
};

}  // namespace roomcast::detail
