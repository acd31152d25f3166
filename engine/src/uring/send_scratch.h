// Where the msghdrs and iovecs of sendmsg SQEs live between preparing and submitting them.
//
// The kernel copies a sendmsg's msghdr and iovec array when it consumes the SQE
// (IORING_FEAT_SUBMIT_STABLE, checked at ring set-up), so they need not outlive the
// submit: one bounded arena per shard, emptied after every submit that consumed all SQEs,
// replaces a context per connection with a send in flight. That is what lets a broadcast
// to 100k idle sockets hold no per-connection send memory, and lets one send carry many
// more frames than a fixed per-connection array would allow.
#pragma once
#include <sys/socket.h>
#include <sys/uio.h>

#include <cstdint>
#include <memory>

namespace roomcast::detail {

class SendScratch {
 public:
  static constexpr uint32_t kMaxHeaders = 1024;  // sendmsg SQEs between two submits
  static constexpr uint32_t kMaxIovecs = 16384;  // their iovecs together
  static constexpr uint32_t kMaxPerSend = 1024;  // UIO_MAXIOV: the kernel's limit per call

  SendScratch() : hdrs_(new msghdr[kMaxHeaders]), iovs_(new iovec[kMaxIovecs]) {}

  // Room for one more sendmsg of `n` iovecs (n <= kMaxPerSend)? If not, submit first.
  bool fits(uint32_t n) const { return nh_ < kMaxHeaders && ni_ + n <= kMaxIovecs; }

  // A zeroed msghdr pointing at `n` iovecs for the caller to fill. Requires fits(n).
  msghdr* take(uint32_t n) {
    msghdr* h = &hdrs_[nh_++];
    *h = msghdr{};
    h->msg_iov = &iovs_[ni_];
    h->msg_iovlen = n;
    ni_ += n;
    return h;
  }

  // After a submit that left no SQE unconsumed.
  void reset() { nh_ = ni_ = 0; }
  bool empty() const { return nh_ == 0; }

 private:
  std::unique_ptr<msghdr[]> hdrs_;
  std::unique_ptr<iovec[]> iovs_;
  uint32_t nh_ = 0, ni_ = 0;
};

}  // namespace roomcast::detail
