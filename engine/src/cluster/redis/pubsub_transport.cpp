#include "cluster/redis/pubsub_transport.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

namespace roomcast::detail::cluster {

namespace {

constexpr int kBackoffMinMs = 100;
constexpr int kBackoffMaxMs = 2000;
// The longest poll: the listener's deadlines are looked at least this often.
constexpr int64_t kMaxWaitMs = 1000;
// Commands appended to hiredis's output buffer before it is written out, so that buffer
// stays small however long the queue is.
constexpr size_t kWriteBatch = 256;

bool write_all(redisContext* c) {
  int done = 0;
  while (!done)
    if (redisBufferWrite(c, &done) == REDIS_ERR) return false;
  return true;
}

std::string_view str_of(const redisReply* r) {
  return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) ? std::string_view(r->str, r->len)
                                                                               : std::string_view{};
}

}  // namespace

RedisPubSubTransport::RedisPubSubTransport(RedisEndpoint endpoint, size_t max_queue, size_t max_queue_bytes)
    : endpoint_(std::move(endpoint)), max_queue_(max_queue), max_queue_bytes_(max_queue_bytes) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

RedisPubSubTransport::~RedisPubSubTransport() {
  stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void RedisPubSubTransport::start(TransportListener& listener) {
  std::lock_guard lock(stop_mu_);
  listener_ = &listener;
  if (!thread_.joinable() && !stop_) thread_ = std::thread([this] { run(); });
}

void RedisPubSubTransport::stop() {
  std::lock_guard lock(stop_mu_);
  stop_ = true;
  wake();
  if (thread_.joinable()) thread_.join();
}

void RedisPubSubTransport::wake() {
  const uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

size_t RedisPubSubTransport::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void RedisPubSubTransport::subscribe(std::string channel) {
  {
    std::lock_guard lock(mu_);
    subscriptions_.push_back(Subscription{std::move(channel), false});
  }
  wake();
}

void RedisPubSubTransport::psubscribe(std::string pattern) {
  {
    std::lock_guard lock(mu_);
    subscriptions_.push_back(Subscription{std::move(pattern), true});
  }
  wake();
}

bool RedisPubSubTransport::publish(std::string channel, std::string payload) {
  bool was_empty;
  {
    std::lock_guard lock(mu_);
    const size_t bytes = channel.size() + payload.size();
    if (queue_.size() >= max_queue_ || queued_bytes_ + bytes > max_queue_bytes_) {
      counters_.publish_dropped.add();
      return false;
    }
    was_empty = queue_.empty();
    queued_bytes_ += bytes;
    queue_.push_back(Outgoing{std::move(channel), std::move(payload)});
  }
  // The transport drains the whole queue per wake-up: one syscall per burst, not per message.
  if (was_empty) wake();
  return true;
}

void RedisPubSubTransport::post(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(std::move(job));
  }
  wake();
}

void RedisPubSubTransport::subscriber_count(const std::string& channel, std::function<void(long long)> then) {
  if (!pub_) return then(-1);
  const char* argv[3] = {"PUBSUB", "NUMSUB", channel.c_str()};
  const size_t lens[3] = {6, 6, channel.size()};
  if (redisAppendCommandArgv(pub_, 3, argv, lens) != REDIS_OK) return then(-1);
  pub_handlers_.push_back([then = std::move(then)](redisReply* r) {
    if (!r) return then(-1);
    long long n = 0;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[1]->type == REDIS_REPLY_INTEGER)
      n = r->element[1]->integer;
    then(n);
  });
  if (!write_all(pub_)) drop_connection("publish failed");  // the handler then runs with no reply
}

void RedisPubSubTransport::run_jobs() {
  std::deque<std::function<void()>> jobs;
  {
    std::lock_guard lock(mu_);
    jobs.swap(jobs_);
  }
  for (auto& j : jobs) j();
}

void RedisPubSubTransport::run() {
  // hiredis writes with write(2): a peer that went away must give EPIPE, not kill us.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);

  int backoff = kBackoffMinMs;
  uint64_t failures = 0;
  uint64_t last_dropped_logged = 0;
  while (!stop_.load()) {
    run_jobs();
    const int64_t wait = listener_->on_tick(false, kMaxWaitMs);
    // One line per loop turn at most, also while Redis is away (that is when the queue fills).
    if (const uint64_t d = counters_.publish_dropped.get(); d != last_dropped_logged) {
      log(std::to_string(d - last_dropped_logged) + " message(s) dropped: outgoing queue full or connection lost (" +
          kDropPolicy + ", bounds " + std::to_string(max_queue_) + " messages / " +
          std::to_string(max_queue_bytes_) + " bytes)");
      last_dropped_logged = d;
    }
    if (!sub_) {
      if (!connect()) {
        if (failures++ == 0) log("cannot reach " + endpoint_.host + ":" + std::to_string(endpoint_.port) +
                                 "; retrying with backoff (local delivery continues)");
        wait_backoff(backoff);
        backoff = std::min(backoff * 2, kBackoffMaxMs);
        continue;
      }
      if (ever_connected_) {
        counters_.reconnects.add();
        log("reconnected after " + std::to_string(failures) + " failed attempt(s)");
      } else {
        log("connected to " + endpoint_.host + ":" + std::to_string(endpoint_.port));
      }
      ever_connected_ = true;
      connected_ = true;
      failures = 0;
      backoff = kBackoffMinMs;
    }
    if (!subscribe_pending()) {
      drop_connection("subscribe failed");
      continue;
    }
    if (!flush_outgoing()) {
      drop_connection("publish failed");
      continue;
    }
    pollfd fds[3] = {{wake_fd_, POLLIN, 0}, {sub_->fd, POLLIN, 0}, {pub_->fd, POLLIN, 0}};
    if (::poll(fds, 3, int(std::max<int64_t>(0, wait))) < 0) continue;
    if (fds[0].revents) {
      uint64_t v;
      [[maybe_unused]] auto n = ::read(wake_fd_, &v, sizeof v);
    }
    if (fds[1].revents && !read_subscriber()) {
      drop_connection(sub_->errstr[0] ? sub_->errstr : "subscriber connection closed");
      continue;
    }
    if (fds[2].revents && !read_publisher())
      drop_connection(pub_->errstr[0] ? pub_->errstr : "publisher connection closed");
  }
  drop_connection(nullptr);
  run_jobs();
  listener_->on_tick(true, 0);
}

bool RedisPubSubTransport::connect() {
  const timeval connect_timeout{1, 0};
  // A Redis that stops reading must not hold this thread forever: writes time out, and the
  // connection is then treated as lost.
  const timeval io_timeout{2, 0};
  for (redisContext** c : {&sub_, &pub_}) {
    *c = redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, connect_timeout);
    if (*c == nullptr || (*c)->err || redisSetTimeout(*c, io_timeout) != REDIS_OK) {
      drop_connection(nullptr);
      return false;
    }
    redisEnableKeepAlive(*c);
  }
  std::lock_guard lock(mu_);
  for (auto& s : subscriptions_) s.sent = false;
  return true;
}

void RedisPubSubTransport::drop_connection(const char* why) {
  if (why) {
    counters_.connection_losses.add();
    log(std::string("connection lost (") + why + "); local delivery continues, reconnecting");
  }
  if (sub_) redisFree(sub_);
  if (pub_) redisFree(pub_);
  sub_ = pub_ = nullptr;
  connected_ = false;
  // Commands that will never be answered: their handlers learn it from a null reply.
  auto handlers = std::move(pub_handlers_);
  pub_handlers_.clear();
  for (auto& h : handlers)
    if (h) h(nullptr);
}

void RedisPubSubTransport::wait_backoff(int ms) {
  pollfd p{wake_fd_, POLLIN, 0};
  if (::poll(&p, 1, ms) > 0) {
    uint64_t v;
    [[maybe_unused]] auto n = ::read(wake_fd_, &v, sizeof v);
  }
}

bool RedisPubSubTransport::subscribe_pending() {
  std::vector<Subscription> fresh;
  {
    std::lock_guard lock(mu_);
    for (auto& s : subscriptions_)
      if (!s.sent) {
        s.sent = true;
        fresh.push_back(s);
      }
  }
  if (fresh.empty()) return true;
  for (auto& s : fresh) {
    const char* cmd = s.pattern ? "PSUBSCRIBE" : "SUBSCRIBE";
    const char* argv[2] = {cmd, s.name.c_str()};
    const size_t lens[2] = {std::char_traits<char>::length(cmd), s.name.size()};
    if (redisAppendCommandArgv(sub_, 2, argv, lens) != REDIS_OK) return false;
  }
  return write_all(sub_);
}

bool RedisPubSubTransport::flush_outgoing() {
  std::deque<Outgoing> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(queue_);
    queued_bytes_ = 0;
  }
  size_t appended = 0, written = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    const char* argv[3] = {"PUBLISH", batch[i].channel.data(), batch[i].payload.data()};
    const size_t lens[3] = {7, batch[i].channel.size(), batch[i].payload.size()};
    bool ok = redisAppendCommandArgv(pub_, 3, argv, lens) == REDIS_OK;
    if (ok && (++appended == kWriteBatch || i + 1 == batch.size())) {
      ok = write_all(pub_);
      if (ok) {
        written += appended;
        counters_.published.add(appended);
        pub_handlers_.resize(pub_handlers_.size() + appended);
        appended = 0;
      }
    }
    if (!ok) {
      // What was in flight when the connection broke is lost with it.
      counters_.publish_dropped.add(batch.size() - written);
      return false;
    }
  }
  return true;
}

bool RedisPubSubTransport::read_publisher() {
  if (redisBufferRead(pub_) != REDIS_OK) return false;
  void* r = nullptr;
  for (;;) {
    if (redisGetReplyFromReader(pub_, &r) != REDIS_OK) return false;
    if (!r) return true;
    if (!pub_handlers_.empty()) {
      auto h = std::move(pub_handlers_.front());
      pub_handlers_.pop_front();
      if (h) h(static_cast<redisReply*>(r));
    }
    freeReplyObject(r);
  }
}

bool RedisPubSubTransport::read_subscriber() {
  if (redisBufferRead(sub_) != REDIS_OK) return false;
  void* v = nullptr;
  for (;;) {
    if (redisGetReplyFromReader(sub_, &v) != REDIS_OK) return false;
    if (!v) return true;
    auto* r = static_cast<redisReply*>(v);
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 4 && str_of(r->element[0]) == "pmessage")
      listener_->on_pmessage(str_of(r->element[1]), str_of(r->element[2]), str_of(r->element[3]));
    else if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 && str_of(r->element[0]) == "message")
      listener_->on_message(str_of(r->element[1]), str_of(r->element[2]));
    freeReplyObject(r);
  }
}

}  // namespace roomcast::detail::cluster
