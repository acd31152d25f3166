#include "cluster/redis/redis_adapter.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <random>

#include "cluster/wire/adapter_protocol.h"
#include "cluster/wire/adapter_request.h"
#include "socketio/broadcast_ack.h"
#include "util/guarded.h"
#include "util/json_text.h"
#include "proto/msgpack/msgpack_codec.h"
#include "server/server_core.h"
#include "loop/shard.h"
#include "proto/sio/wire_encode.h"

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

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Calls a serverSideEmit callback with the answers gathered so far. User code on the adapter
// thread: an exception must not end the thread.
void answer(ServerCore& core, const ServerSideCallback& cb, bool timed_out, std::string answers,
            std::vector<std::string> attachments) {
  answers.push_back(']');
  auto args = Args::from_array(std::move(answers), 0, std::move(attachments));
  call_guarded("redis: server-side ack callback", [&] { cb(timed_out, args ? *args : Args{}); },
               [&](const std::string& line) { core.log(line); });
}

// Runs f on `shard` (or on shard 0 when null), from any thread. It answers a request the
// application made (Submit::Answer): refused only when the queue cannot grow, and then
// counted and logged by submit_to, the result lost.
void run_on(ServerCore& core, Shard* shard, std::function<void(Shard&)> f) {
  const ShardId target = shard ? shard->id() : ShardId{0};
  (void)core.run_on(target, std::move(f), Submit::Answer, "redis: fetch result");
}

}  // namespace

RedisAdapter::RedisAdapter(ServerCore& core, RedisEndpoint endpoint, std::string prefix, size_t max_queue,
                           size_t max_queue_bytes)
    : core_(core), endpoint_(std::move(endpoint)), prefix_(std::move(prefix)), max_queue_(max_queue),
      max_queue_bytes_(max_queue_bytes), uid_(random_uid()) {
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
    Nsp n;
    n.index = index;
    n.name = std::move(name);
    n.base = adapter::broadcast_channel(prefix_, n.name);
    n.pattern = n.base + "*";
    n.request = adapter::request_channel(prefix_, n.name);
    n.response = adapter::response_channel(prefix_, n.name);
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
  return enqueue(std::move(out.channel), std::move(out.payload));
}

bool RedisAdapter::enqueue(std::string channel, std::string payload) {
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
  // The adapter drains the whole queue per wake-up: one syscall per burst, not per message.
  if (was_empty) wake();
  return true;
}

void RedisAdapter::publish_request(std::string_view nsp, std::string payload) {
  enqueue(adapter::request_channel(prefix_, nsp), std::move(payload));
}

void RedisAdapter::post_job(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(std::move(job));
  }
  wake();
}

void RedisAdapter::count_subscribers(const std::string& channel, std::function<void(long long)> then) {
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
  if (!write_all(pub_)) disconnect("publish failed");  // the handler then runs with no reply
}

void RedisAdapter::run_jobs() {
  std::deque<std::function<void()>> jobs;
  {
    std::lock_guard lock(mu_);
    jobs.swap(jobs_);
  }
  for (auto& j : jobs) j();
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
    run_jobs();
    expire_fetches(false);
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
        log("connected to " + endpoint_.host + ":" + std::to_string(endpoint_.port) + " as uid " + uid_);
      }
      ever_connected_ = true;
      connected_ = true;
      failures = 0;
      backoff = kBackoffMinMs;
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
    if (::poll(fds, 3, poll_timeout_ms()) < 0) continue;
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
  run_jobs();
  expire_fetches(true);
}

int RedisAdapter::poll_timeout_ms() const {
  int64_t wait = 1000;
  const int64_t now = now_ms();
  for (auto& [id, f] : fetches_) wait = std::min(wait, std::max<int64_t>(0, f.deadline_ms - now));
  for (auto& [id, p] : server_side_) wait = std::min(wait, std::max<int64_t>(0, p.deadline_ms - now));
  for (auto& [id, p] : broadcast_acks_) wait = std::min(wait, std::max<int64_t>(0, p.deadline_ms - now));
  return int(wait);
}

// Ends fetches past their deadline (all of them when stopping) with what has arrived.
void RedisAdapter::expire_fetches(bool all) {
  const int64_t now = now_ms();
  for (auto it = fetches_.begin(); it != fetches_.end();) {
    if (all || it->second.deadline_ms <= now) {
      counters_.requests_timed_out.add();
      it->second.done(std::move(it->second.sockets));
      it = fetches_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = server_side_.begin(); it != server_side_.end();) {
    if (all || it->second.deadline_ms <= now) {
      counters_.requests_timed_out.add();
      PendingServerSide p = std::move(it->second);
      it = server_side_.erase(it);  // before the callback, which may issue requests itself
      answer(core_, p.done, true, std::move(p.answers), std::move(p.attachments));
    } else {
      ++it;
    }
  }
  for (auto it = broadcast_acks_.begin(); it != broadcast_acks_.end();) {
    if (all || it->second.deadline_ms <= now) {
      counters_.requests_timed_out.add();
      it->second.group->at_home([](BroadcastAckGroup& g) { g.cluster_ended(true); });
      it = broadcast_acks_.erase(it);
    } else {
      ++it;
    }
  }
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
  // Commands that will never be answered: their handlers learn it from a null reply.
  auto handlers = std::move(pub_handlers_);
  pub_handlers_.clear();
  for (auto& h : handlers)
    if (h) h(nullptr);
}

void RedisAdapter::wait_backoff(int ms) {
  pollfd p{wake_fd_, POLLIN, 0};
  if (::poll(&p, 1, ms) > 0) {
    uint64_t v;
    [[maybe_unused]] auto n = ::read(wake_fd_, &v, sizeof v);
  }
}

bool RedisAdapter::subscribe_pending() {
  std::vector<Nsp> fresh;
  {
    std::lock_guard lock(mu_);
    for (auto& n : nsps_)
      if (!n.subscribed) {
        n.subscribed = true;
        fresh.push_back(n);
      }
  }
  if (fresh.empty()) return true;
  for (auto& n : fresh) {
    // The request channel makes this node count in PUBSUB NUMSUB, which is how Node nodes
    // know how many answers to wait for: from then on we must answer.
    const std::string specific = n.response + uid_ + "#";
    const char* pargv[2] = {"PSUBSCRIBE", n.pattern.c_str()};
    const size_t plens[2] = {10, n.pattern.size()};
    const char* sargv[4] = {"SUBSCRIBE", n.request.c_str(), n.response.c_str(), specific.c_str()};
    const size_t slens[4] = {9, n.request.size(), n.response.size(), specific.size()};
    if (redisAppendCommandArgv(sub_, 2, pargv, plens) != REDIS_OK ||
        redisAppendCommandArgv(sub_, 4, sargv, slens) != REDIS_OK)
      return false;
  }
  return write_all(sub_);
}

bool RedisAdapter::flush_outgoing() {
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

bool RedisAdapter::read_publisher() {
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

bool RedisAdapter::read_subscriber() {
  if (redisBufferRead(sub_) != REDIS_OK) return false;
  void* v = nullptr;
  for (;;) {
    if (redisGetReplyFromReader(sub_, &v) != REDIS_OK) return false;
    if (!v) return true;
    auto* r = static_cast<redisReply*>(v);
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 4 && str_of(r->element[0]) == "pmessage")
      on_pmessage(str_of(r->element[1]), str_of(r->element[2]), str_of(r->element[3]));
    else if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 && str_of(r->element[0]) == "message")
      on_message(str_of(r->element[1]), str_of(r->element[2]));
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

// ---------------------------------------------------------------- requests between nodes

namespace roomcast::detail {

namespace {

// Runs `each` on every selected socket of every shard, appending JSON items to one text;
// `done` gets the comma-separated items once the last shard has answered.
struct Collect {
  std::mutex mu;
  std::string items;
  unsigned left;
  std::function<void(std::string)> done;
};

void collect(ServerCore& core, uint32_t index, std::vector<std::string> rooms, std::vector<std::string> except,
             std::function<void(Socket&, std::string&)> each, std::function<void(std::string)> done) {
  auto st = std::make_shared<Collect>();
  st->left = core.shard_count();
  st->done = std::move(done);
  core.on_every_shard([=](Shard& sh) {
    std::string mine;
    sh.for_each_selected(index, rooms, except, [&](Socket& s) {
      if (!mine.empty()) mine.push_back(',');
      each(s, mine);
    });
    bool last;
    {
      std::lock_guard lock(st->mu);
      if (!mine.empty()) {
        if (!st->items.empty()) st->items.push_back(',');
        st->items += mine;
      }
      last = --st->left == 0;
    }
    if (last) st->done(std::move(st->items));
  });
}

void apply(ServerCore& core, uint32_t index, std::vector<std::string> rooms, std::vector<std::string> except,
           std::function<void(Shard&, Socket&)> f) {
  core.on_every_shard([=](Shard& sh) { sh.for_each_selected(index, rooms, except, [&](Socket& s) { f(sh, s); }); });
}

}  // namespace

void RedisAdapter::on_message(std::string_view channel, std::string_view payload) {
  uint32_t index = 0;
  std::string response, name;
  bool request = false, is_response = false;
  {
    std::lock_guard lock(mu_);
    for (auto& n : nsps_) {
      if (channel == n.request) {
        request = true;
        index = n.index;
        name = n.name;
        response = n.response;
        break;
      }
      if (channel.substr(0, n.response.size()) == n.response) {
        is_response = true;
        break;
      }
    }
  }
  if (request) on_request(index, name, response, payload);
  else if (is_response) on_response(payload);
}

void RedisAdapter::on_request(uint32_t index, const std::string& nsp_name, const std::string& response_channel,
                              std::string_view payload) {
  using adapter::RequestType;
  adapter::Request q;
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
  if (!adapter::decode_request(bytes, q)) return counters_.malformed.add();
  // Our own requests come back to us too; they were applied locally when issued.
  if (!q.uid.empty() && q.uid == uid_) return;
  auto respond = [this, response_channel](std::string body) {
    counters_.requests_answered.add();
    enqueue(response_channel, std::move(body));
  };
  const std::string id = q.request_id;
  switch (RequestType(q.type)) {
    case RequestType::AllRooms:
      if (!id.empty()) respond(adapter::encode_rooms_response(id, presence_.names(index)));
      return;
    case RequestType::Sockets:
      if (id.empty()) return;
      collect(core_, index, q.rooms, {}, [](Socket& s, std::string& out) { json::append_string(out, s.id()); },
              [respond, id](std::string items) { respond(adapter::encode_sockets_response(id, items)); });
      return;
    case RequestType::RemoteFetch:
      if (id.empty()) return;
      collect(core_, index, q.opts_rooms, q.opts_except,
              [](Socket& s, std::string& out) {
                const Handshake& h = s.handshake();
                const auto rooms = s.rooms();
                const auto headers = h.headers();
                adapter::FetchedSocket f;
                f.id = s.id();
                f.rooms = rooms;
                f.address = h.address;
                f.url = h.url();
                f.query = h.query();
                f.headers = headers;
                f.auth_json = s.auth();
                f.issued_ms = h.issued_ms;
                adapter::append_fetched_socket(out, f);
              },
              [respond, id](std::string items) { respond(adapter::encode_sockets_response(id, items)); });
      return;
    case RequestType::RemoteJoin:
    case RequestType::RemoteLeave: {
      const bool join = RequestType(q.type) == RequestType::RemoteJoin;
      std::vector<std::string> targets = q.has_opts ? q.rooms : std::vector<std::string>{q.room};
      auto op = [join, targets](Shard& sh, Socket& s) {
        for (auto& r : targets) join ? sh.socket_join(s, r) : sh.socket_leave(s, r);
      };
      if (q.has_opts) {
        apply(core_, index, q.opts_rooms, q.opts_except, op);
      } else if (!q.sid.empty()) {
        apply(core_, index, {q.sid}, {}, op);
        if (!id.empty()) respond(adapter::encode_done_response(id));
      }
      return;
    }
    case RequestType::RemoteDisconnect: {
      const bool close = q.close;
      auto op = [close](Shard& sh, Socket& s) { sh.socket_disconnect(s, close, CloseReason::ServerNamespaceDisconnect, true); };
      if (q.has_opts) {
        apply(core_, index, q.opts_rooms, q.opts_except, op);
      } else if (!q.sid.empty()) {
        apply(core_, index, {q.sid}, {}, op);
        if (!id.empty()) respond(adapter::encode_done_response(id));
      }
      return;
    }
    case RequestType::ServerSideEmit:
      return on_server_side(nsp_name, response_channel, q);
    case RequestType::Broadcast:
      return on_broadcast_request(index, nsp_name, response_channel, q);
    default:
      return;
  }
}

void RedisAdapter::on_response(std::string_view payload) {
  adapter::Response r;
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
  if (!adapter::decode_response(bytes, r)) return counters_.malformed.add();
  if (on_server_side_answer(r) || on_broadcast_ack_answer(r)) return;
  auto it = fetches_.find(r.request_id);
  if (it == fetches_.end()) return;  // another node's request, or one that timed out
  PendingFetch& f = it->second;
  for (auto& s : r.sockets) f.sockets.push_back(SocketInfo{std::move(s.id), std::move(s.rooms), 0, std::move(s.address), true});
  if (++f.got < f.expected) return;
  f.done(std::move(f.sockets));
  fetches_.erase(it);
}

void RedisAdapter::publish_rooms_op(std::string_view nsp, bool join, std::span<const std::string> rooms,
                                    std::span<const std::string> except, std::string_view room) {
  const std::string target(room);
  publish_request(nsp, adapter::encode_rooms_request(uid_, join ? adapter::RequestType::RemoteJoin
                                                                : adapter::RequestType::RemoteLeave,
                                                     rooms, except, std::span<const std::string>(&target, 1)));
}

void RedisAdapter::publish_disconnect(std::string_view nsp, std::span<const std::string> rooms,
                                      std::span<const std::string> except, bool close) {
  publish_request(nsp, adapter::encode_disconnect_request(uid_, rooms, except, close));
}

FetchCallback RedisAdapter::cluster_fetch(std::string_view nsp, std::vector<std::string> rooms,
                                          std::vector<std::string> except, FetchCallback cb) {
  Shard* origin = Shard::current();
  std::string channel = adapter::request_channel(prefix_, nsp);
  return [this, origin, channel, rooms, except, cb](std::vector<SocketInfo> local) {
    post_job([this, origin, channel, rooms, except, cb, local = std::move(local)]() mutable {
      FetchCallback done = [this, origin, cb](std::vector<SocketInfo> all) {
        run_on(core_, origin, [cb, all = std::move(all)](Shard&) mutable { cb(std::move(all)); });
      };
      if (!pub_) return done(std::move(local));
      // How many nodes listen on the request channel, us included: that many answers,
      // minus ours, are awaited (as Node's serverCount()).
      const char* argv[3] = {"PUBSUB", "NUMSUB", channel.c_str()};
      const size_t lens[3] = {6, 6, channel.size()};
      if (redisAppendCommandArgv(pub_, 3, argv, lens) != REDIS_OK) return done(std::move(local));
      pub_handlers_.push_back([this, channel, rooms, except, local, done](redisReply* r) mutable {
        long long n = 0;
        if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[1]->type == REDIS_REPLY_INTEGER)
          n = r->element[1]->integer;
        if (n <= 1) return done(std::move(local));
        const std::string id = uid_ + "." + std::to_string(++next_request_);
        fetches_.emplace(id, PendingFetch{std::move(local), uint64_t(n - 1), 0, now_ms() + requests_timeout_ms_, done});
        enqueue(channel, adapter::encode_fetch_request(uid_, id, rooms, except));
      });
      if (!write_all(pub_)) disconnect("publish failed");  // the handler then runs with no reply
    });
  };
}

}  // namespace roomcast::detail

// ---------------------------------------------------------------- serverSideEmit

namespace roomcast::detail {

void RedisAdapter::on_server_side(const std::string& nsp_name, const std::string& response_channel,
                                  adapter::Request& q) {
  auto all = Args::from_array(q.data_json, 0, q.data_attachments);
  std::optional<std::string> event = all ? all->str(0) : std::nullopt;
  if (!event) return counters_.malformed.add();
  // No handler: no answer, and the sender times out, as with a Node node without a listener.
  ServerSideHandler handler = core_.of(nsp_name).server_side_handler(*event);
  if (!handler) return;
  auto args = Args::from_array(std::move(q.data_json), 1, std::move(q.data_attachments));
  if (!args) return counters_.malformed.add();
  ServerSideAck ack;
  if (!q.request_id.empty()) {
    ack.done_ = std::make_shared<std::atomic<bool>>(false);
    // Node answers on the namespace's common response channel; its requester filters by id.
    ack.reply_ = [this, response_channel, id = q.request_id](const Arg* value) {
      std::string body;
      if (!adapter::encode_server_side_response(body, id, value)) return counters_.publish_refused.add();
      counters_.requests_answered.add();
      enqueue(response_channel, std::move(body));
    };
  }
  counters_.server_side_handled.add();
  call_guarded("server-side handler for \"" + *event + "\"", [&] { handler(*args, std::move(ack)); },
               [&](const std::string& line) { log(line); });
}

// True if `r` answers one of our serverSideEmit requests (it is then consumed).
bool RedisAdapter::on_server_side_answer(adapter::Response& r) {
  auto it = server_side_.find(r.request_id);
  if (it == server_side_.end()) return false;
  PendingServerSide& p = it->second;
  if (p.got++) p.answers.push_back(',');
  std::string value;
  const size_t kept = p.attachments.size();
  mp::Reader reader(r.data_msgpack);
  if (r.data_msgpack.empty() || !mp::to_json(reader, value, p.attachments)) {
    p.attachments.resize(kept);  // an undecodable answer still counts, as undefined
    value = "null";
  }
  p.answers += value;
  if (p.got < p.expected) return true;
  PendingServerSide done = std::move(p);
  server_side_.erase(it);
  answer(core_, done.done, false, std::move(done.answers), std::move(done.attachments));
  return true;
}

bool RedisAdapter::server_side_emit(std::string_view nsp, std::string_view event, std::span<const Arg> args,
                                    ServerSideCallback cb) {
  std::string id;
  if (cb) id = uid_ + "-" + std::to_string(next_server_side_.fetch_add(1, std::memory_order_relaxed) + 1);
  std::string body;
  if (!adapter::encode_server_side_request(body, uid_, id, event, args)) {
    counters_.publish_refused.add();
    return false;
  }
  std::string channel = adapter::request_channel(prefix_, nsp);
  counters_.server_side_sent.add();
  if (!cb) return enqueue(std::move(channel), std::move(body));
  post_job([this, channel = std::move(channel), body = std::move(body), id, cb = std::move(cb)]() mutable {
    if (!pub_) return answer(core_, cb, true, "[", {});  // Redis unreachable: nobody can answer
    // As Node's serverSideEmitWithAck: every other subscriber of the request channel answers.
    const char* argv[3] = {"PUBSUB", "NUMSUB", channel.c_str()};
    const size_t lens[3] = {6, 6, channel.size()};
    if (redisAppendCommandArgv(pub_, 3, argv, lens) != REDIS_OK) return answer(core_, cb, true, "[", {});
    pub_handlers_.push_back([this, channel, body, id, cb](redisReply* r) mutable {
      if (!r) return answer(core_, cb, true, "[", {});  // connection lost before the count
      long long n = 0;
      if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[1]->type == REDIS_REPLY_INTEGER)
        n = r->element[1]->integer;
      if (n <= 1) return answer(core_, cb, false, "[", {});
      if (server_side_.size() >= kMaxPendingServerSide) {
        counters_.server_side_refused.add();
        return answer(core_, cb, true, "[", {});
      }
      PendingServerSide p;
      p.expected = uint64_t(n - 1);
      p.deadline_ms = now_ms() + requests_timeout_ms_;
      p.done = std::move(cb);
      auto [it, fresh] = server_side_.emplace(id, std::move(p));
      if (!enqueue(std::move(channel), std::move(body))) {
        PendingServerSide lost = std::move(it->second);
        server_side_.erase(it);
        answer(core_, lost.done, true, std::move(lost.answers), {});
      }
    });
    if (!write_all(pub_)) disconnect("publish failed");  // the handler then runs with no reply
  });
  return true;
}

}  // namespace roomcast::detail
