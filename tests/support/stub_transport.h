// An in-process cluster Transport for tests: the nodes of a StubHub reach each other through
// it as through Redis pub/sub (every subscriber gets each message, the publisher too; one
// publisher's messages keep their order; a subscriber count per channel), with no server.
// Each StubTransport runs its listener on a thread of its own, as a real transport does.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/transport.h"

namespace roomcast::testing {

class StubTransport;

// The message bus: which transports are up, and who subscribes to what.
class StubHub {
 public:
  void join(StubTransport* t) {
    std::lock_guard lock(mu_);
    members_.push_back(t);
  }
  void leave(StubTransport* t) {
    std::lock_guard lock(mu_);
    std::erase(members_, t);
  }
  inline void publish(const std::string& channel, const std::string& payload);
  inline long long count(const std::string& channel);

 private:
  std::mutex mu_;  // held while delivering, so that a transport that left gets nothing more
  std::vector<StubTransport*> members_;
};

class StubTransport final : public detail::cluster::Transport {
 public:
  // Jobs waiting for the transport thread; beyond, a message or job is dropped (counted).
  static constexpr size_t kMaxJobs = 1 << 16;

  explicit StubTransport(StubHub& hub) : hub_(hub) {}
  ~StubTransport() override { stop(); }

  void start(detail::cluster::TransportListener& listener) override {
    listener_ = &listener;
    running_ = true;
    hub_.join(this);
    thread_ = std::thread([this] { run(); });
  }
  void stop() override {
    if (!thread_.joinable()) return;
    running_ = false;
    hub_.leave(this);
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void subscribe(std::string channel) override {
    std::lock_guard lock(mu_);
    channels_.push_back(std::move(channel));
  }
  void psubscribe(std::string pattern) override {
    std::lock_guard lock(mu_);
    patterns_.push_back(std::move(pattern));
  }
  bool publish(std::string channel, std::string payload) override {
    if (!running_) {
      counters_.publish_dropped.add();
      return false;
    }
    counters_.published.add();
    hub_.publish(channel, payload);
    return true;
  }
  void post(std::function<void()> job) override {
    {
      std::lock_guard lock(mu_);
      if (jobs_.size() >= kMaxJobs) return counters_.publish_dropped.add();
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }
  // Answered later on the transport thread, as Redis answers PUBSUB NUMSUB.
  void subscriber_count(const std::string& channel, std::function<void(long long)> then) override {
    post([this, channel, then = std::move(then)] { then(hub_.count(channel)); });
  }
  bool connected() const override { return true; }
  size_t queued() const override { return 0; }
  const detail::cluster::TransportCounters& counters() const override { return counters_; }

  // The hub, holding its lock: queues `payload` for the listener if this node subscribes.
  void deliver(const std::string& channel, const std::string& payload) {
    std::string pattern;
    bool exact = false;
    {
      std::lock_guard lock(mu_);
      for (auto& c : channels_) exact = exact || c == channel;
      for (auto& p : patterns_)
        if (!p.empty() && p.back() == '*' && channel.compare(0, p.size() - 1, p, 0, p.size() - 1) == 0) pattern = p;
    }
    if (exact) post([this, channel, payload] { listener_->on_message(channel, payload); });
    if (!pattern.empty())
      post([this, pattern, channel, payload] { listener_->on_pmessage(pattern, channel, payload); });
  }
  bool subscribes(const std::string& channel) {
    std::lock_guard lock(mu_);
    for (auto& c : channels_)
      if (c == channel) return true;
    return false;
  }

 private:
  void run() {
    std::unique_lock lock(mu_);
    while (!stop_) {
      run_jobs(lock);
      lock.unlock();
      const int64_t wait = listener_->on_tick(false, 1000);
      lock.lock();
      if (jobs_.empty() && !stop_) cv_.wait_for(lock, std::chrono::milliseconds(wait));
    }
    run_jobs(lock);
    lock.unlock();
    listener_->on_tick(true, 0);
  }
  // Runs the jobs queued so far, without the lock (a job may post more).
  void run_jobs(std::unique_lock<std::mutex>& lock) {
    std::deque<std::function<void()>> jobs;
    jobs.swap(jobs_);
    lock.unlock();
    for (auto& j : jobs) j();
    lock.lock();
  }

  StubHub& hub_;
  detail::cluster::TransportListener* listener_ = nullptr;
  detail::cluster::TransportCounters counters_;
  std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::string> channels_, patterns_;
  bool stop_ = false;
  std::atomic<bool> running_{false};  // between start() and stop(): publish() reaches the hub
  std::thread thread_;
};

void StubHub::publish(const std::string& channel, const std::string& payload) {
  std::lock_guard lock(mu_);
  for (auto* t : members_) t->deliver(channel, payload);
}

long long StubHub::count(const std::string& channel) {
  std::lock_guard lock(mu_);
  long long n = 0;
  for (auto* t : members_) n += t->subscribes(channel);
  return n;
}

}  // namespace roomcast::testing
