// A server frame encoded once and shared by every recipient's send queue, so
// fan-out costs a reference count per recipient and never a copy or an allocation.
#pragma once

#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

#include "ws_min.h"

namespace ceiling {

class Frame {
 public:
  // Header and payload in one block; starts with one reference, the caller's.
  // Null when memory is exhausted: the caller drops the message.
  static Frame* make(WsOp op, std::string_view payload) {
    char hdr[10];
    const size_t hlen = server_frame_header(op, payload.size(), hdr);
    Frame* f = allocate(hlen + payload.size());
    if (f == nullptr) return nullptr;
    std::memcpy(f->bytes(), hdr, hlen);
    std::memcpy(f->bytes() + hlen, payload.data(), payload.size());
    return f;
  }

  // Bytes sent as they are (the HTTP 101 answer goes through the same queue).
  static Frame* make_raw(std::string_view bytes) {
    Frame* f = allocate(bytes.size());
    if (f != nullptr) std::memcpy(f->bytes(), bytes.data(), bytes.size());
    return f;
  }

  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  size_t size() const { return size_; }

  void ref() { ++refs_; }
  void unref() {
    if (--refs_ == 0) {
      this->~Frame();
      std::free(this);
    }
  }

 private:
  explicit Frame(size_t size) : size_(size) {}
  static Frame* allocate(size_t size) {
    void* mem = std::malloc(sizeof(Frame) + size);
    return mem == nullptr ? nullptr : new (mem) Frame(size);
  }
  char* bytes() { return reinterpret_cast<char*>(this + 1); }

  size_t size_;
  size_t refs_ = 1;  // single-threaded server: a plain counter is enough
};

}  // namespace ceiling
