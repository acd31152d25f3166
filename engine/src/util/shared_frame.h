// Immutable, reference-counted wire bytes: the one thing shards share.
//
// A broadcast is encoded once into a SharedFrame; every shard that has recipients
// holds exactly one reference (one atomic decrement per shard, never per recipient).
// Inside a shard, recipients share it through a shard-local count (see local_ref.h).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <span>
#include <string_view>

namespace roomcast::detail {

class SharedFrame {
 public:
  // One allocation: header followed by `size` bytes. refs starts at `initial_refs`.
  static SharedFrame* create(size_t size, uint32_t initial_refs = 1) {
    void* mem = std::malloc(sizeof(SharedFrame) + size);
    if (!mem) throw std::bad_alloc();
    return new (mem) SharedFrame(size, initial_refs);
  }
  static SharedFrame* copy_of(std::string_view bytes, uint32_t initial_refs = 1) {
    SharedFrame* f = create(bytes.size(), initial_refs);
    std::memcpy(f->mutable_data(), bytes.data(), bytes.size());
    return f;
  }
  // A frame that is never freed (static control frames such as the ping "2").
  static SharedFrame* immortal(std::string_view bytes) {
    SharedFrame* f = copy_of(bytes, 1);
    f->immortal_ = true;
    return f;
  }

  uint8_t* mutable_data() { return reinterpret_cast<uint8_t*>(this + 1); }
  const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(this + 1); }
  size_t size() const { return size_; }
  std::span<const uint8_t> bytes() const { return {data(), size_}; }

  void add_refs(uint32_t n) { refs_.fetch_add(n, std::memory_order_relaxed); }
  void release() {
    if (immortal_) return;
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      this->~SharedFrame();
      std::free(this);
    }
  }

 private:
  SharedFrame(size_t size, uint32_t refs) : size_(size), refs_(refs) {}
  size_t size_;
  std::atomic<uint32_t> refs_;
  bool immortal_ = false;
};

}  // namespace roomcast::detail
