// The worker's connections: TCP connect (ramped), the WebSocket upgrade request,
// multishot receive, one send per connection per loop turn, failure and time-outs.
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "handshake.h"
#include "proto/http/http_request.h"
#include "uring/ops.h"
#include "worker.h"
#include "worker_internal.h"

namespace roomcast::bench {

using namespace detail;

void Worker::start_connections(uint64_t now) {
  uint32_t started = 0;
  while (next_to_start_ < conns_.size() && started < kMaxStartsPerTurn) {
    const uint64_t due = connect_t0_ + uint64_t(double(next_to_start_) / ramp_per_ns_);
    if (due > now) break;
    start_one(next_to_start_++, now);
    ++started;
  }
}

// Binds a connection to its source address. The port is derived from the connection id, so
// every connection of the run has its own (address, port) across all workers and
// processes: letting the kernel pick one at connect time costs a scan of the ephemeral
// range per connect that grows as the range fills (perf showed __inet_hash_connect taking
// most of the harness's CPU past ~15k connections per address, stalling the ramp).
// A port someone else holds falls back to the kernel's choice. Returns 0 or an errno.
int Worker::bind_source(int fd, uint64_t id) {
  const size_t n = plan_.sources.size();
  Endpoint src = plan_.sources[id % n];
  constexpr uint32_t kFirstPort = 1024, kPorts = 65536 - kFirstPort;
  const uint64_t q = id / n;
  if (q < kPorts) {
    const uint16_t port = htons(uint16_t(kFirstPort + q));
    if (src.addr.ss_family == AF_INET)
      reinterpret_cast<sockaddr_in*>(&src.addr)->sin_port = port;
    else
      reinterpret_cast<sockaddr_in6*>(&src.addr)->sin6_port = port;
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&src.addr), src.len) == 0) return 0;
    if (errno != EADDRINUSE) return errno;
    src = plan_.sources[id % n];
  }
  // Port picked at connect time, per destination.
  const int one = 1;
  ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&src.addr), src.len) == 0) return 0;
  return errno;
}

void Worker::start_one(uint32_t i, uint64_t now) {
  Conn& c = conns_[i];
  c.state = CState::Connecting;
  c.t_start = now;
  ++pending_;
  ++ctr_.conns_started;
  const Endpoint& to = c.id < plan_.opt->publishers ? plan_.target : plan_.receiver_target;
  const int fd = ::socket(to.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fail(i, std::string("socket(): ") + std::strerror(errno));
    return;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (!plan_.sources.empty()) {
    const int e = bind_source(fd, c.id);
    if (e != 0) {
      ::close(fd);
      fail(i, std::string("bind to source address: ") + std::strerror(e));
      return;
    }
  }
  const int r = ring_.set_file(i, fd);
  ::close(fd);
  if (r < 0) {
    fail(i, std::string("io_uring_register_files_update: ") + std::strerror(-r));
    return;
  }
  uring::prep_connect(sqe(), i, reinterpret_cast<const sockaddr*>(&to.addr), to.len, tag(Op::Connect, i));
}

void Worker::on_connect(uint32_t i, int res) {
  Conn& c = conns_[i];
  if (c.state != CState::Connecting) return;
  if (res < 0) {
    fail(i, "connect to " + opt_.url + ": " + std::strerror(-res));
    return;
  }
  uint8_t rnd[16];
  for (int k = 0; k < 16; k += 4) {
    const uint32_t v = mask_key();
    std::memcpy(rnd + k, &v, 4);
  }
  const std::string key = handshake::make_key(rnd);
  c.accept = http::websocket_accept(key);
  c.out += handshake::request(plan_.host_header, plan_.upgrade_path, key, !opt_.raw);
  c.state = CState::Upgrading;
  mark_dirty(i);
  arm_recv(i);
}

void Worker::arm_recv(uint32_t i) {
  uring::prep_recv_multishot(sqe(), i, bufs_.group(), tag(Op::Recv, i));
  conns_[i].recv_armed = true;
}

void Worker::on_recv(uint32_t i, uring::Cqe* cqe) {
  Conn& c = conns_[i];
  const int res = cqe->res;
  if (!uring::more(cqe->flags)) c.recv_armed = false;
  if (const auto bid = uring::BufferRing::buffer_of(cqe->flags)) {
    if (res > 0 && c.state != CState::Dead) {
      ctr_.bytes_in += uint64_t(res);
      now_ = mono_ns();
      feed(i, std::string_view(reinterpret_cast<const char*>(bufs_.data(*bid)), size_t(res)));
    }
    bufs_.recycle(*bid);
  }
  if (c.state == CState::Dead) return;
  if (res == 0) {
    fail(i, "server closed the connection");
  } else if (res == -ENOBUFS) {
    ++ctr_.recv_rearms;  // every buffer was in use: re-arm once they come back
    if (!c.recv_armed) arm_recv(i);
  } else if (res < 0) {
    fail(i, std::string("recv: ") + std::strerror(-res));
  } else if (!c.recv_armed) {
    arm_recv(i);
  }
}

void Worker::mark_dirty(uint32_t i) {
  Conn& c = conns_[i];
  if (!c.dirty) {
    c.dirty = true;
    dirty_.push_back(i);
  }
}

void Worker::flush() {
  for (uint32_t i : dirty_) {
    Conn& c = conns_[i];
    c.dirty = false;
    if (c.state == CState::Dead || c.send_inflight || c.out.empty()) continue;
    c.sending.swap(c.out);
    c.out.clear();
    c.sent = 0;
    uring::prep_send(sqe(), i, c.sending.data(), c.sending.size(), tag(Op::Send, i));
    c.send_inflight = true;
  }
  dirty_.clear();
}

void Worker::on_send(uint32_t i, int res) {
  Conn& c = conns_[i];
  c.send_inflight = false;
  if (c.state == CState::Dead) return;
  if (res < 0) {
    fail(i, std::string("send: ") + std::strerror(-res));
    return;
  }
  c.sent += size_t(res);
  ctr_.bytes_out += uint64_t(res);
  if (c.sent < c.sending.size()) {  // short send: the rest goes first, in order
    uring::prep_send(sqe(), i, c.sending.data() + c.sent, c.sending.size() - c.sent, tag(Op::Send, i));
    c.send_inflight = true;
    return;
  }
  c.sending.clear();
  c.sent = 0;
  if (!c.out.empty()) mark_dirty(i);
}

void Worker::fail(uint32_t i, std::string_view why) {
  Conn& c = conns_[i];
  if (c.state == CState::Dead) return;
  if (c.state == CState::Ready) {
    ++ctr_.conns_dropped;
  } else {
    ++ctr_.conns_failed;
    if (c.state != CState::Idle) --pending_;
  }
  std::string msg = "connection " + std::to_string(c.id) + (c.state == CState::Ready ? " dropped: " : " failed: ");
  msg.append(why);
  slot_shm_.set_error(msg.c_str());
  c.state = CState::Dead;
  c.out.clear();
  // Shutdown first so a pending multishot receive ends; then free the table slot.
  uring::Sqe* s = sqe();
  uring::prep_shutdown(s, i, SHUT_RDWR, tag(Op::Shutdown, i));
  uring::link(s);
  uring::prep_close(sqe(), i, tag(Op::Close, i));
}

void Worker::check_timeouts(uint64_t now) {
  last_timeout_scan_ = now;
  const uint64_t limit = uint64_t(opt_.connect_timeout * 1e9);
  static constexpr const char* kNames[] = {"idle", "TCP connect", "WebSocket upgrade", "Engine.IO open",
                                           "namespace CONNECT", "join ack", "ready", "dead"};
  for (uint32_t i = 0; i < next_to_start_; ++i) {
    Conn& c = conns_[i];
    if (c.state > CState::Idle && c.state < CState::Ready && now - c.t_start > limit)
      fail(i, std::string("timed out waiting for ") + kNames[int(c.state)]);
  }
}

void Worker::become_ready_if_resolved(uint64_t now) {
  if (ready_reported_) return;
  const bool all_resolved = next_to_start_ == conns_.size() && pending_ == 0;
  const bool started = start_ns_ && now >= start_ns_;
  if (!all_resolved && !started) return;
  // The run began without us (the coordinator's own deadline): whatever is not joined by
  // now is a failure, so that membership counts stay exact for the loss figure.
  for (uint32_t i = 0; i < conns_.size(); ++i) {
    Conn& c = conns_[i];
    if (c.state != CState::Ready && c.state != CState::Dead) fail(i, "not joined when the run started");
  }
  next_to_start_ = uint32_t(conns_.size());
  std::atomic<uint64_t>* members = plan_.shared->members(slot_);
  for (const Conn& c : conns_)
    if (c.state == CState::Ready) members[c.room].fetch_add(1, std::memory_order_relaxed);
  ready_reported_ = true;
  snapshot(false);
  slot_shm_.state.store(int32_t(SlotState::Ready), std::memory_order_release);
}

}  // namespace roomcast::bench
