#include "shared_run.h"

#include <sys/mman.h>

#include <new>
#include <stdexcept>

namespace roomcast::bench {

namespace {
size_t align_up(size_t n) { return (n + 63) & ~size_t(63); }
}  // namespace

SharedRun::SharedRun(uint32_t slots, uint32_t rooms) : slots_(slots), rooms_(rooms) {
  slots_off_ = align_up(sizeof(Control));
  rooms_off_ = align_up(slots_off_ + sizeof(SlotShm) * slots);
  bytes_ = rooms_off_ + sizeof(std::atomic<uint64_t>) * 2 * size_t(slots) * rooms;
  void* m = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) throw std::runtime_error("mmap of the shared run state failed");
  base_ = static_cast<char*>(m);
  new (base_) Control();
  for (uint32_t i = 0; i < slots; ++i) new (&slot(i)) SlotShm();
  auto* arr = reinterpret_cast<std::atomic<uint64_t>*>(base_ + rooms_off_);
  for (size_t i = 0; i < 2 * size_t(slots) * rooms; ++i) new (&arr[i]) std::atomic<uint64_t>(0);
}

SharedRun::~SharedRun() {
  if (base_) ::munmap(base_, bytes_);
}

}  // namespace roomcast::bench
