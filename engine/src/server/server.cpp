#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "cluster/local_adapter.h"
#include "rooms/room_presence.h"
#include "server/server_core.h"
#include "loop/shard.h"

namespace roomcast {
namespace detail {

ServerCore::ServerCore(Server& server, Config config)
    : server_(server),
      config_(std::move(config)),
      admission_(config_.max_connections, config_.max_connections_per_address) {
  profiling.store(config_.profile_broadcasts);
  if (config_.shards == 0) config_.shards = std::max(1u, std::thread::hardware_concurrency());
  if (config_.recv_buffer_count == 0 || (config_.recv_buffer_count & (config_.recv_buffer_count - 1)))
    throw std::invalid_argument("recv_buffer_count must be a power of two");
  if (config_.io_uring_entries < 8 || (config_.io_uring_entries & (config_.io_uring_entries - 1)))
    throw std::invalid_argument("io_uring_entries must be a power of two, at least 8");
  if (config_.path.empty() || config_.path.front() != '/') config_.path.insert(0, "/");
  if (config_.path.back() != '/') config_.path.push_back('/');
  if (config_.adapter) adapter_ = config_.adapter.make(*this);
  if (!adapter_) adapter_ = std::make_unique<cluster::LocalAdapter>();
}

ServerCore::~ServerCore() {
  stop();
  wait();
  for (int fd : listen_fds_) ::close(fd);
}

void ServerCore::log(std::string_view line) const {
  if (config_.log) {
    config_.log(line);
  } else {
    std::fprintf(stderr, "roomcast: %.*s\n", int(line.size()), line.data());
  }
}

Namespace& ServerCore::of(std::string_view name) {
  std::string n(name.empty() || name.front() != '/' ? "/" + std::string(name) : std::string(name));
  std::lock_guard lock(nsp_mu_);
  for (auto& ns : namespaces_)
    if (ns->name() == n) return *ns;
  namespaces_.push_back(std::make_unique<Namespace>(&server_, n, uint32_t(namespaces_.size())));
  adapter_->watch_namespace(uint32_t(namespaces_.size() - 1), n);
  return *namespaces_.back();
}

// Called at CONNECT time on a shard: rare, so a mutex is fine here (never on the fan-out path).
Namespace* ServerCore::find_or_create(std::string_view name) {
  std::lock_guard lock(nsp_mu_);
  for (auto& ns : namespaces_)
    if (ns->name() == name) return ns.get();
  for (auto& [match, setup] : matchers_) {
    if (match(name)) {
      namespaces_.push_back(std::make_unique<Namespace>(&server_, std::string(name), uint32_t(namespaces_.size())));
      adapter_->watch_namespace(uint32_t(namespaces_.size() - 1), std::string(name));
      setup(*namespaces_.back());
      return namespaces_.back().get();
    }
  }
  return nullptr;
}

void ServerCore::add_matcher(std::function<bool(std::string_view)> match, std::function<void(Namespace&)> setup) {
  std::lock_guard lock(nsp_mu_);
  matchers_.emplace_back(std::move(match), std::move(setup));
}

static int open_listener(const std::string& address, uint16_t port, uint16_t* bound) {
  sockaddr_storage ss{};
  socklen_t len;
  int family;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    family = v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    family = v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
  } else {
    throw std::runtime_error("invalid listen address: " + address);
  }
  int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  // One listener per shard on the same port: the kernel spreads new connections over the
  // shards, so accepting needs no hand-off between threads and no shared accept queue.
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  ::setsockopt(fd, IPPROTO_TCP, 1 /*TCP_NODELAY, inherited by accepted sockets*/, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd, 4096) != 0) {
    std::string err = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error("cannot listen on " + address + ":" + std::to_string(port) + ": " + err);
  }
  sockaddr_storage got{};
  socklen_t gl = sizeof(got);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&got), &gl);
  *bound = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&got)->sin_port
                                   : reinterpret_cast<sockaddr_in6*>(&got)->sin6_port);
  return fd;
}

void ServerCore::start() {
  if (started_) return;
  uint16_t port = config_.port;
  for (unsigned i = 0; i < config_.shards; ++i) {
    uint16_t bound = 0;
    listen_fds_.push_back(open_listener(config_.address, port, &bound));
    port = bound;  // with port 0, the later shards join the port the first one got
  }
  port_ = port;
  for (unsigned i = 0; i < config_.shards; ++i)
    shards_.push_back(std::make_unique<Shard>(*this, i, listen_fds_[i]));
  started_ = true;
  for (unsigned i = 0; i < config_.shards; ++i)
    threads_.emplace_back([this, i] { shards_[i]->run(); });
  adapter_->start();
}

void ServerCore::stop() {
  // The adapter first: it hands work to shards, which must still be there to take it.
  adapter_->stop();
  for (auto& s : shards_) s->request_stop();
}

void ServerCore::observe_rooms(ShardNsp& ns, uint32_t nsp_index) {
  RoomPresence* presence = adapter_->presence();
  if (!presence) return;
  ns.rooms.set_presence_observer([p = presence, nsp_index](std::string_view name, bool present) {
    p->set(nsp_index, name, present);
  });
}

void ServerCore::wait() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

bool ServerCore::dispatch(uint32_t nsp_index, SharedFrame* frame, const std::vector<std::string>& rooms,
                          const std::vector<std::string>& except, int64_t t_emit, int64_t t_encoded,
                          bool is_volatile) {
  unsigned n = shard_count();
  for (unsigned i = 0; i < n; ++i) {
    if (!shards_[i]->has_room()) {
      frame->release();
      emits_refused.fetch_add(1, std::memory_order_relaxed);
      log("emit refused: shard " + std::to_string(i) + " queue full");
      return false;
    }
  }
  // The frame arrives with one reference per shard (see encode); so does the message.
  auto* msg = new BroadcastMsg{frame, nsp_index, rooms, except, {n}, t_emit, t_encoded, is_volatile};
  Shard* self = Shard::current();
  for (unsigned i = 0; i < n; ++i) {
    if (shards_[i].get() == self) continue;
    // Past the has_room() gate a post fails only for want of memory: the task then gives
    // back that shard's references, and the shard misses this broadcast.
    if (!shards_[i]->post(Task(msg))) task_refused(ShardId{i}, "broadcast");
  }
  // Our own shard last: its recipients get the frame now, in the same loop turn.
  if (self) self->process_broadcast(msg);
  return true;
}

bool ServerCore::on_every_shard(std::function<void(Shard&)> f) {
  Shard* self = Shard::current();
  for (auto& s : shards_)
    if (!s->has_room()) {
      emits_refused.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
  // Past the gate every shard takes its part (Submit::Answer): all or none, so a caller
  // waiting for every shard's answer is not left one short by the bound.
  for (auto& s : shards_) {
    if (s.get() == self) continue;
    // Only an enqueue that cannot allocate refuses here (counted and logged there); the
    // other shards still get their part, as they already may have.
    if (!submit_to(s->id(), f, Submit::Answer, "call on every shard")) continue;
  }
  if (self) f(*self);
  return true;
}

void ServerCore::task_refused(ShardId to, std::string_view what) {
  const uint64_t n = tasks_refused.fetch_add(1, std::memory_order_relaxed) + 1;
  // A full queue refuses in bursts: one line a second says so without adding to the load.
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch()).count();
  int64_t last = refusal_logged_ms_.load(std::memory_order_relaxed);
  if (now - last < 1000 || !refusal_logged_ms_.compare_exchange_strong(last, now, std::memory_order_relaxed))
    return;
  log("shard " + std::to_string(to.value) + " refused " + std::string(what) +
      ": its task queue is full (" + std::to_string(n) + " refused so far)");
}

}  // namespace detail

// ---- Server ----

Server::Server(Config config) : core_(std::make_unique<detail::ServerCore>(*this, std::move(config))) {}
Server::~Server() = default;
Namespace& Server::of(std::string_view name) { return core_->of(name); }
void Server::of_matching(std::function<bool(std::string_view)> match, std::function<void(Namespace&)> setup) {
  core_->add_matcher(std::move(match), std::move(setup));
}
void Server::start() { core_->start(); }
void Server::stop() { core_->stop(); }
void Server::wait() { core_->wait(); }
uint16_t Server::port() const { return core_->port(); }
unsigned Server::shard_count() const { return core_->config().shards; }
const Config& Server::config() const { return core_->config(); }
Namespace* Server::find_or_create_namespace(std::string_view name) { return core_->find_or_create(name); }

std::string Server::latency_profile_json() const {
  // On the heap: six snapshots are ~110 KiB, too much for a caller's stack.
  std::vector<detail::LatencyHistogram::Snapshot> merged(detail::kStageCount);
  uint64_t recipients = 0;
  for (unsigned i = 0; i < core_->shard_count(); ++i) {
    const auto& p = core_->shard(i).profile();
    for (int s = 0; s < detail::kStageCount; ++s) merged[s].merge(p.stages[s].snapshot());
    recipients += p.recipients.load(std::memory_order_relaxed);
  }
  return detail::profile_json(merged.data(), recipients, core_->profiling.load());
}

void Server::set_profiling(bool on) { core_->profiling.store(on); }

void Server::reset_latency_profile() {
  core_->on_every_shard([](detail::Shard& s) { s.reset_profile(); });
}

Stats Server::stats() const {
  Stats s;
  s.emits_refused = core_->emits_refused.load(std::memory_order_relaxed);
  s.tasks_refused = core_->tasks_refused.load(std::memory_order_relaxed);
  for (unsigned i = 0; i < core_->shard_count(); ++i) {
    const auto& c = core_->shard(i).counters();
    s.connections += c.connections.get();
    s.connection_slots += c.connection_slots.get();
    s.sockets += c.sockets.get();
    s.accepted += c.accepted.get();
    s.refused_full += c.refused_full.get();
    s.handshake_errors += c.handshake_errors.get();
    s.protocol_errors += c.protocol_errors.get();
    s.slow_consumer_disconnects += c.slow_consumer_disconnects.get();
    s.ping_timeouts += c.ping_timeouts.get();
    s.connect_timeouts += c.connect_timeouts.get();
    s.broadcasts += c.broadcasts.get();
    s.deliveries += c.deliveries.get();
    s.bytes_sent += c.bytes_sent.get();
    s.handler_exceptions += c.handler_exceptions.get();
    s.frames_dropped += c.frames_dropped.get();
    s.volatile_drops += c.volatile_drops.get();
    s.connections_reset += c.connections_reset.get();
    s.close_lingers += c.close_lingers.get();
    s.close_linger_bytes += c.close_linger_bytes.get();
    s.close_linger_limits += c.close_linger_limits.get();
    s.refused_max_connections += c.refused_max_connections.get();
    s.refused_per_address += c.refused_per_address.get();
    s.accept_errors += c.accept_errors.get();
    s.recv_buffers_exhausted += c.recv_buffers_exhausted.get();
    s.submission_queue_full += c.submission_queue_full.get();
    s.submit_retries += c.submit_retries.get();
    s.io_cancelled += c.io_cancelled.get();
    for (size_t f = 0; f < kFaultCount; ++f) s.faults[f] += c.faults[f].get();
  }
  s.broadcast_acks = core_->broadcast_acks.started.load(std::memory_order_relaxed);
  s.broadcast_ack_timeouts = core_->broadcast_acks.timed_out.load(std::memory_order_relaxed);
  s.broadcast_acks_refused = core_->broadcast_acks.refused.load(std::memory_order_relaxed);
  core_->adapter().add_stats(s);
  return s;
}

}  // namespace roomcast
