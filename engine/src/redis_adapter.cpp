#include "redis_adapter.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <random>

#include "adapter_protocol.h"
#include "server_core.h"
#include "wire_encode.h"

namespace roomcast::detail {

namespace {

// Node's adapter uses 6 random characters; any string unique in the cluster will do.
std::string random_uid() {
  static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 12; ++i) s.push_back(alphabet[rd() % 62]);
  return s;
}

constexpr int kBackoffMinMs = 100;
constexpr int kBackoffMaxMs = 2000;
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

RedisAdapter::RedisAdapter(ServerCore& core, RedisEndpoint endpoint, std::string prefix, size_t max_queue)
    : core_(core), endpoint_(std::move(endpoint)), prefix_(std::move(prefix)), max_queue_(max_queue),
      uid_(random_uid()) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

RedisAdapter::~RedisAdapter() {
  stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void RedisAdapter::start() {
  std::lock_guard lock(stop_mu_);
  if (!thread_.joinable() && !stop_) thread_ = std::thread([this] { run(); });
}

void RedisAdapter::stop() {
  std::lock_guard lock(stop_mu_);
  stop_ = true;
  wake();
  if (thread_.joinable()) thread_.join();
}

void RedisAdapter::wake() {
  const uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void RedisAdapter::log(std::string_view line) { core_.log("redis: " + std::string(line)); }

size_t RedisAdapter::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void RedisAdapter::watch_namespace(uint32_t index, std::string name) {
  {
    std::lock_guard lock(mu_);
    Nsp n{index, std::move(name), {}, {}, false};
    n.base = adapter::broadcast_channel(prefix_, n.name);
    n.pattern = n.base + "*";
    nsps_.push_back(std::move(n));
  }
  wake();
}

bool RedisAdapter::publish_broadcast(std::string_view nsp, std::string_view event, std::span<const Arg> args,
                                     std::span<const std::string> rooms, std::span<const std::string> except) {
  Outgoing out;
  if (!adapter::encode_broadcast(out.payload, uid_, nsp, event, args, rooms, except)) {
    counters_.publish_refused.add();
    return false;
  }
  out.channel = adapter::publish_channel(prefix_, nsp, rooms);
  bool was_empty;
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= max_queue_) {
      counters_.publish_dropped.add();
      return false;
    }
    was_empty = queue_.empty();
    queue_.push_back(std::move(out));
  }
  // The adapter drains the whole queue per wake-up: one syscall per burst, not per message.
  if (was_empty) wake();
  return true;
}

void RedisAdapter::run() {
  // hiredis writes with write(2): a peer that went away must give EPIPE, not kill us.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);

  int backoff = kBackoffMinMs;
  uint64_t failures = 0;
  uint64_t last_dropped_logged = 0;
  while (!stop_.load()) {
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
        log("connected to " + endpoint_.host + ":" + std::to_string(endpoint_.port) + " as uid " + uid_);
      }
      ever_connected_ = true;
      connected_ = true;
      failures = 0;
      backoff = kBackoffMinMs;
    }
    if (const uint64_t d = counters_.publish_dropped.get(); d != last_dropped_logged) {
      log(std::to_string(d - last_dropped_logged) + " broadcast(s) dropped: outgoing queue full (" +
          kDropPolicy + ", bound " + std::to_string(max_queue_) + ")");
      last_dropped_logged = d;
    }
    if (!subscribe_pending()) {
      disconnect("subscribe failed");
      continue;
    }
    if (!flush_outgoing()) {
      disconnect("publish failed");
      continue;
    }
    pollfd fds[3] = {{wake_fd_, POLLIN, 0}, {sub_->fd, POLLIN, 0}, {pub_->fd, POLLIN, 0}};
    if (::poll(fds, 3, 1000) < 0) continue;
    if (fds[0].revents) {
      uint64_t v;
      [[maybe_unused]] auto n = ::read(wake_fd_, &v, sizeof v);
    }
    if (fds[1].revents && !read_subscriber()) {
      disconnect(sub_->errstr[0] ? sub_->errstr : "subscriber connection closed");
      continue;
    }
    if (fds[2].revents && !read_publisher()) disconnect(pub_->errstr[0] ? pub_->errstr : "publisher connection closed");
  }
  disconnect(nullptr);
}

bool RedisAdapter::connect() {
  const timeval connect_timeout{1, 0};
  // A Redis that stops reading must not hold this thread forever: writes time out, and the
  // connection is then treated as lost.
  const timeval io_timeout{2, 0};
  for (redisContext** c : {&sub_, &pub_}) {
    *c = redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, connect_timeout);
    if (*c == nullptr || (*c)->err || redisSetTimeout(*c, io_timeout) != REDIS_OK) {
      disconnect(nullptr);
      return false;
    }
    redisEnableKeepAlive(*c);
  }
  pub_replies_pending_ = 0;
  std::lock_guard lock(mu_);
  for (auto& n : nsps_) n.subscribed = false;
  return true;
}

void RedisAdapter::disconnect(const char* why) {
  if (why) {
    counters_.connection_losses.add();
    log(std::string("connection lost (") + why + "); local delivery continues, reconnecting");
  }
  if (sub_) redisFree(sub_);
  if (pub_) redisFree(pub_);
  sub_ = pub_ = nullptr;
  connected_ = false;
}

void RedisAdapter::wait_backoff(int ms) {
  pollfd p{wake_fd_, POLLIN, 0};
  if (::poll(&p, 1, ms) > 0) {
    uint64_t v;
    [[maybe_unused]] auto n = ::read(wake_fd_, &v, sizeof v);
  }
}

bool RedisAdapter::subscribe_pending() {
  std::vector<std::string> patterns;
  {
    std::lock_guard lock(mu_);
    for (auto& n : nsps_)
      if (!n.subscribed) {
        n.subscribed = true;
        patterns.push_back(n.pattern);
      }
  }
  if (patterns.empty()) return true;
  for (auto& p : patterns) {
    const char* argv[2] = {"PSUBSCRIBE", p.c_str()};
    const size_t lens[2] = {10, p.size()};
    if (redisAppendCommandArgv(sub_, 2, argv, lens) != REDIS_OK) return false;
  }
  return write_all(sub_);
}

bool RedisAdapter::flush_outgoing() {
  std::deque<Outgoing> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(queue_);
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
        pub_replies_pending_ += appended;
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

bool RedisAdapter::read_publisher() {
  if (redisBufferRead(pub_) != REDIS_OK) return false;
  void* r = nullptr;
  for (;;) {
    if (redisGetReplyFromReader(pub_, &r) != REDIS_OK) return false;
    if (!r) return true;
    if (pub_replies_pending_) --pub_replies_pending_;
    freeReplyObject(r);
  }
}

bool RedisAdapter::read_subscriber() {
  if (redisBufferRead(sub_) != REDIS_OK) return false;
  void* v = nullptr;
  for (;;) {
    if (redisGetReplyFromReader(sub_, &v) != REDIS_OK) return false;
    if (!v) return true;
    auto* r = static_cast<redisReply*>(v);
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 4 && str_of(r->element[0]) == "pmessage")
      on_pmessage(str_of(r->element[1]), str_of(r->element[2]), str_of(r->element[3]));
    freeReplyObject(r);
  }
}

void RedisAdapter::on_pmessage(std::string_view pattern, std::string_view channel, std::string_view payload) {
  counters_.received.add();
  uint32_t index = 0;
  std::string name, base;
  {
    std::lock_guard lock(mu_);
    auto it = std::find_if(nsps_.begin(), nsps_.end(), [&](const Nsp& n) { return n.pattern == pattern; });
    if (it == nsps_.end()) return counters_.skipped.add();
    index = it->index;
    name = it->name;
    base = it->base;
  }
  std::string_view room;
  if (!adapter::room_of_channel(base, channel, room)) return counters_.skipped.add();
  // Node's adapter drops a room's message unseen when no local socket is in the room.
  if (!room.empty() && !presence_.has(index, room)) return counters_.skipped.add();
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
  std::string uid;
  if (!adapter::peek_uid(bytes, uid)) return counters_.malformed.add();
  if (uid == uid_) return counters_.skipped.add();
  adapter::RemoteBroadcast b;
  switch (adapter::decode_broadcast(bytes, b)) {
    case adapter::DecodeResult::Ok: break;
    case adapter::DecodeResult::Malformed: return counters_.malformed.add();
    case adapter::DecodeResult::NotAnEvent: return counters_.skipped.add();
  }
  if (b.nsp != name) return counters_.skipped.add();
  // The arguments' JSON text is made once here; from now on this is an ordinary broadcast.
  auto args = Args::from_array(std::move(b.args_json), 0, std::move(b.attachments));
  if (!args) return counters_.malformed.add();
  const std::vector<Arg> fwd = args->forward();
  SharedFrame* frame = encode_event(name, b.event, fwd, std::nullopt, core_.shard_count());
  if (core_.dispatch(index, frame, b.rooms, b.except)) counters_.delivered.add();
}

}  // namespace roomcast::detail
