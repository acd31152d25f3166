// State shared by the coordinator and the worker threads of all worker processes: one
// anonymous shared mapping made before fork. Workers publish snapshots of their counters
// and histograms into their own slot; the coordinator reads them for progress and the
// final result. Everything in it is a lock-free atomic, which is address-free and thus
// valid across processes, so no serialisation or pipes are needed.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "histogram.h"

namespace roomcast::bench {

#define ROOMCAST_BENCH_COUNTERS(X)                                                           \
  X(conns_started) X(conns_ready) X(conns_failed) X(conns_dropped)                           \
  X(recv_total) X(recv_measured) X(recv_unique) X(pubs_total) X(pubs_measured)               \
  X(duplicates) X(order_violations) X(foreign) X(malformed) X(other_events) X(stalls)        \
  X(bytes_in) X(bytes_out) X(publish_deferred) X(recv_rearms)

struct Counters {
#define X(name) uint64_t name = 0;
  ROOMCAST_BENCH_COUNTERS(X)
#undef X
  void add(const Counters& o) {
#define X(name) name += o.name;
    ROOMCAST_BENCH_COUNTERS(X)
#undef X
  }
};

struct CountersShm {
#define X(name) std::atomic<uint64_t> name{0};
  ROOMCAST_BENCH_COUNTERS(X)
#undef X
  void store(const Counters& c) {
#define X(name) name.store(c.name, std::memory_order_relaxed);
    ROOMCAST_BENCH_COUNTERS(X)
#undef X
  }
  Counters load() const {
    Counters c;
#define X(name) c.name = name.load(std::memory_order_relaxed);
    ROOMCAST_BENCH_COUNTERS(X)
#undef X
    return c;
  }
};

struct HistShm {
  std::atomic<uint64_t> count{0}, sum{0}, min{0}, max{0}, overflow{0};
  std::atomic<uint64_t> buckets[Histogram::kBuckets];

  void store(const Histogram& h) {
    for (size_t i = 0; i < Histogram::kBuckets; ++i) buckets[i].store(h.bucket(i), std::memory_order_relaxed);
    count.store(h.count(), std::memory_order_relaxed);
    sum.store(h.sum(), std::memory_order_relaxed);
    min.store(h.min(), std::memory_order_relaxed);
    max.store(h.max(), std::memory_order_relaxed);
    overflow.store(h.overflow(), std::memory_order_relaxed);
  }
  // A snapshot taken while the worker writes may mix two of its snapshots; that is fine
  // for progress lines, and the final read happens after the worker has finished.
  void load_into(Histogram& h) const {
    uint64_t total = 0;
    for (size_t i = 0; i < Histogram::kBuckets; ++i) {
      const uint64_t c = buckets[i].load(std::memory_order_relaxed);
      h.set_raw(i, c);
      total += c;
    }
    h.set_totals(total, sum.load(std::memory_order_relaxed), min.load(std::memory_order_relaxed),
                 max.load(std::memory_order_relaxed), overflow.load(std::memory_order_relaxed));
  }
};

enum class SlotState : int32_t { Starting = 0, Connecting = 1, Ready = 2, Done = 3, Fatal = 4 };

struct SlotShm {
  std::atomic<int32_t> state{0};
  std::atomic<int32_t> has_error{0};
  char error[240] = {};
  CountersShm counters;
  HistShm lat_measured;  // send time inside the measured window
  HistShm lat_all;       // everything, for progress lines
  HistShm connect;       // TCP connect to Socket.IO CONNECT ack

  void set_error(const char* msg) {
    if (has_error.load(std::memory_order_relaxed)) return;
    std::strncpy(error, msg, sizeof(error) - 1);
    has_error.store(1, std::memory_order_release);
  }
};

struct Control {
  std::atomic<int64_t> start_ns{0};  // CLOCK_MONOTONIC start of warm-up; 0 = not yet
  std::atomic<int64_t> end_ns{0};    // an earlier end of the measured window (Ctrl-C); 0 = none
  std::atomic<int32_t> stop{0};      // workers finish and exit
};

static_assert(std::atomic<uint64_t>::is_always_lock_free && std::atomic<int64_t>::is_always_lock_free);

// The mapping: Control, then one SlotShm per worker thread, then per slot two arrays of
// `rooms` counters (members that joined; publishes sent to the room).
class SharedRun {
 public:
  SharedRun(uint32_t slots, uint32_t rooms);
  ~SharedRun();
  SharedRun(const SharedRun&) = delete;
  SharedRun& operator=(const SharedRun&) = delete;

  Control& control() { return *reinterpret_cast<Control*>(base_); }
  SlotShm& slot(uint32_t i) { return reinterpret_cast<SlotShm*>(base_ + slots_off_)[i]; }
  std::atomic<uint64_t>* members(uint32_t slot) { return room_array(slot, 0); }
  std::atomic<uint64_t>* published(uint32_t slot) { return room_array(slot, 1); }
  uint32_t slots() const { return slots_; }
  uint32_t rooms() const { return rooms_; }

 private:
  std::atomic<uint64_t>* room_array(uint32_t slot, uint32_t which) {
    return reinterpret_cast<std::atomic<uint64_t>*>(base_ + rooms_off_) +
           (size_t(slot) * 2 + which) * rooms_;
  }
  uint32_t slots_, rooms_;
  size_t slots_off_ = 0, rooms_off_ = 0, bytes_ = 0;
  char* base_ = nullptr;
};

}  // namespace roomcast::bench
