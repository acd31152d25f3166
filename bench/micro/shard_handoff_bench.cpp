// Cross-shard hand-off: what it costs to pass a broadcast pointer from one thread to a shard
// through the moodycamel queue, with and without the coalesced eventfd wake-up the shards
// use (engine/src/shard.cpp: Shard::post / wake / drain_tasks).
#include <benchmark/benchmark.h>
#include <concurrentqueue.h>
#include <sys/eventfd.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <thread>

namespace {

struct Item {
  void* msg;
};

// Consumer thread: drains in bulk like Shard::drain_tasks; with `wake`, sleeps on the eventfd
// when the queue is empty and clears the flag before draining.
struct Consumer {
  moodycamel::ConcurrentQueue<Item> q;
  std::atomic<bool> wake_pending{false};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> consumed{0};
  int efd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  bool use_wake;
  std::thread t;

  explicit Consumer(bool wake) : use_wake(wake) {
    t = std::thread([this] { run(); });
  }
  ~Consumer() {
    stop = true;
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(efd, &one, 8);
    t.join();
    ::close(efd);
  }
  void run() {
    Item batch[64];
    while (!stop.load(std::memory_order_relaxed)) {
      if (use_wake) {
        pollfd p{efd, POLLIN, 0};
        ::poll(&p, 1, 100);
        if (wake_pending.exchange(false)) {
          uint64_t v;
          [[maybe_unused]] auto n = ::read(efd, &v, 8);
        }
      }
      size_t n;
      while ((n = q.try_dequeue_bulk(batch, 64)) > 0) {
        benchmark::DoNotOptimize(batch);
        consumed.fetch_add(n, std::memory_order_relaxed);
      }
    }
  }
  void post(Item it) {
    q.enqueue(it);
    if (use_wake && !wake_pending.exchange(true)) {
      uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(efd, &one, 8);
    }
  }
};

void run(benchmark::State& state, bool wake) {
  Consumer c(wake);
  uint64_t sent = 0;
  int dummy = 0;
  for (auto _ : state) {
    for (int i = 0; i < 256; ++i) c.post(Item{&dummy});
    sent += 256;
  }
  while (c.consumed.load() < sent) std::this_thread::yield();  // every item really arrived
  state.SetItemsProcessed(int64_t(sent));
}

void BM_HandoffQueueOnly(benchmark::State& state) { run(state, false); }
void BM_HandoffQueueWithCoalescedWake(benchmark::State& state) { run(state, true); }

}  // namespace

BENCHMARK(BM_HandoffQueueOnly)->UseRealTime();
BENCHMARK(BM_HandoffQueueWithCoalescedWake)->UseRealTime();
