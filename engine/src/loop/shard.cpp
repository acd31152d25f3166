// The shard's event loop: io_uring set-up, accept, receive, send, wake-ups, timers.
// Protocol handling lives in session.cpp; this file knows nothing of Socket.IO.
#include "loop/shard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <utility>

#include "loop/io_test_hooks.h"
#include "server/server_core.h"

namespace roomcast::detail {

namespace test_hooks {
std::atomic<uint32_t> refuse_submits{0};
}

namespace {

thread_local Shard* t_current = nullptr;

// user_data: operation in the top byte, slot in the next three, connection generation low.
// Completions are dispatched on this tag; a generation mismatch marks a stale completion.
enum Op : uint8_t { kAccept = 1, kRecv, kSend, kShutdown, kClose, kWake };

uint64_t tag(Op op, ConnId id = {}) {
  return (uint64_t(op) << 56) | (uint64_t(id.slot & 0xFFFFFF) << 32) | id.gen;
}

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr unsigned kTasksPerTurn = 4096;

}  // namespace


Shard::Shard(ServerCore& core, unsigned index, int listen_fd)
    : core_(core),
      index_(index),
      listen_fd_(listen_fd),
      slab_(core.config().max_frames_per_shard),
      wheel_(steady_ms()) {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw std::runtime_error("eventfd failed");
}

Shard::~Shard() {
  // Tasks never run: each one replaced or destroyed gives back what it carries (~Task).
  for (Task t; tasks_.try_dequeue(t);) {
  }
  if (ping_frame_) {  // immortal while the shard runs; nothing can point at it any more
    ping_frame_->~SharedFrame();
    std::free(ping_frame_);
  }
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Shard* Shard::current() { return t_current; }

void Shard::log(std::string_view line) { core_.log("shard " + std::to_string(index_) + ": " + std::string(line)); }

// ---------------------------------------------------------------- set-up

void Shard::setup_ring() {
  // Strongest single-threaded mode first; older kernels reject the newer flags.
  const unsigned attempts[] = {
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
      IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN,
      IORING_SETUP_COOP_TASKRUN,
      0,
  };
  int err = 0;
  unsigned features = 0;
  for (unsigned flags : attempts) {
    io_uring_params p{};
    p.flags = flags;
    err = io_uring_queue_init_params(core_.config().io_uring_entries, &ring_, &p);
    if (err == 0) {
      features = p.features;
      break;
    }
  }
  if (err < 0) throw std::runtime_error(std::string("io_uring_queue_init: ") + std::strerror(-err));
  ring_ok_ = true;
  if (!(features & IORING_FEAT_SUBMIT_STABLE))  // send_scratch.h relies on it (Linux 5.5+)
    throw std::runtime_error("io_uring lacks IORING_FEAT_SUBMIT_STABLE");
  // Sockets live in the ring's fixed-file table, not the process fd table: no fd per
  // connection (the process limit is 20,000 here) and no fd lookup per operation.
  err = io_uring_register_files_sparse(&ring_, core_.config().max_connections_per_shard + kRefusalSlots);
  if (err < 0) throw std::runtime_error(std::string("register_files_sparse: ") + std::strerror(-err));
}

void Shard::setup_buffers() {
  const auto& cfg = core_.config();
  size_t ring_bytes = sizeof(io_uring_buf) * cfg.recv_buffer_count;
  void* mem = ::mmap(nullptr, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) throw std::runtime_error("mmap buffer ring failed");
  buf_ring_ = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(mem);
  reg.ring_entries = cfg.recv_buffer_count;
  reg.bgid = 0;
  int err = io_uring_register_buf_ring(&ring_, &reg, 0);
  if (err < 0) throw std::runtime_error(std::string("register_buf_ring: ") + std::strerror(-err));
  io_uring_buf_ring_init(buf_ring_);
  buf_base_ = static_cast<uint8_t*>(std::malloc(size_t(cfg.recv_buffer_size) * cfg.recv_buffer_count));
  if (!buf_base_) throw std::bad_alloc();
  buf_mask_ = uint32_t(io_uring_buf_ring_mask(cfg.recv_buffer_count));
  for (uint32_t i = 0; i < cfg.recv_buffer_count; ++i)
    io_uring_buf_ring_add(buf_ring_, buf_base_ + size_t(i) * cfg.recv_buffer_size, cfg.recv_buffer_size,
                          uint16_t(i), int(buf_mask_), int(i));
  io_uring_buf_ring_advance(buf_ring_, int(cfg.recv_buffer_count));
}

void Shard::recycle_buffer(uint16_t bid) {
  const uint32_t size = core_.config().recv_buffer_size;
  io_uring_buf_ring_add(buf_ring_, buf_base_ + size_t(bid) * size, size, bid, int(buf_mask_), int(buf_pending_));
  ++buf_pending_;
}

void Shard::submit() {
  if (uint32_t n = test_hooks::refuse_submits.load(std::memory_order_relaxed); n != 0) [[unlikely]] {
    while (n != 0 && !test_hooks::refuse_submits.compare_exchange_weak(n, n - 1)) {
    }
    if (n != 0) return;
  }
  io_uring_submit(&ring_);
  after_submit();
}

void Shard::after_submit() {
  if (io_uring_sq_ready(&ring_) == 0) scratch_.reset();
}

io_uring_sqe* Shard::sqe() {
  io_uring_sqe* s = io_uring_get_sqe(&ring_);
  if (s) [[likely]] return s;
  make_room(1);
  return io_uring_get_sqe(&ring_);
}

void Shard::make_room(unsigned n) {
  if (io_uring_sq_space_left(&ring_) >= n) return;
  counters_.submission_queue_full.add();
  // The kernel takes the whole queue, except when it cannot allocate requests (-EAGAIN;
  // since 5.19 a completion-queue overflow no longer refuses submits). That passes, so the
  // shard waits it out in 1 ms steps: an operation dropped here would leave a connection
  // waiting for a completion that never comes.
  while (true) {
    submit();
    if (io_uring_sq_space_left(&ring_) >= n) return;
    counters_.submit_retries.add();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void Shard::arm_accept() {
  io_uring_sqe* s = sqe();
  io_uring_prep_multishot_accept(s, listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(s, tag(kAccept));
}

void Shard::arm_wake() {
  io_uring_sqe* s = sqe();
  io_uring_prep_poll_multishot(s, wake_fd_, POLLIN);
  io_uring_sqe_set_data64(s, tag(kWake));
}

void Shard::arm_recv(uint32_t slot) {
  Conn& c = *conns_[slot];
  io_uring_sqe* s = sqe();
  io_uring_prep_recv_multishot(s, int(slot), nullptr, 0, 0);
  s->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
  s->buf_group = 0;
  io_uring_sqe_set_data64(s, tag(kRecv, ConnId{slot, c.gen}));
  c.recv_armed = true;
}

// ---------------------------------------------------------------- loop

void Shard::request_stop() {
  stop_requested_.store(true);
  if (wake_fd_ >= 0) {
    wake_pending_.store(false);
    wake();
  }
}

void Shard::run() {
  t_current = this;
  RefSlab::current = &slab_;
  try {
    setup_ring();
    setup_buffers();
  } catch (const std::exception& e) {
    log(std::string("cannot start: ") + e.what());
    t_current = nullptr;
    RefSlab::current = nullptr;
    return;
  }
  arm_accept();
  arm_wake();
  int64_t stop_deadline = 0;
  while (true) {
    // Sockets disconnected last turn: no handler of theirs is on the stack any more.
    graveyard_.clear();
    now_ms_ = steady_ms();
    if (stop_requested_.load(std::memory_order_relaxed) && !stopping_) {
      io_uring_sqe* s = sqe();
      io_uring_prep_cancel64(s, tag(kAccept), 0);
      io_uring_sqe_set_data64(s, 0);
      stop_deadline = begin_shutdown();
    }
    drain_tasks();
    run_timers();
    if (!to_close_.empty()) {
      std::vector<uint32_t> slow;
      slow.swap(to_close_);
      for (uint32_t slot : slow) {
        Conn& c = *conns_[slot];
        if (c.state != ConnState::Open) continue;
        counters_.slow_consumer_disconnects.add();
        log("slow consumer disconnected: " + c.peer);
        abort_conn(slot, c);
        close_conn(slot, c, 0, CloseReason::SlowConsumer);
      }
    }
    flush_sends();
    if (stopping_ && (open_conns_ == 0 || now_ms_ >= stop_deadline)) break;

    bool more_tasks = tasks_.size_approx() > 0;
    int64_t wait_ms = more_tasks ? 0 : std::max<int64_t>(1, wheel_.next_tick_ms() - now_ms_);
    __kernel_timespec ts{wait_ms / 1000, (wait_ms % 1000) * 1000000};
    io_uring_cqe* cqe = nullptr;
    int r = io_uring_submit_and_wait_timeout(&ring_, &cqe, more_tasks ? 0 : 1, &ts, nullptr);
    after_submit();
    if (r < 0 && r != -ETIME && r != -EINTR && r != -EAGAIN && r != -EBUSY)
      log(std::string("io_uring wait: ") + std::strerror(-r));
    now_ms_ = steady_ms();
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      handle_cqe(cqe);
      ++seen;
    }
    io_uring_cq_advance(&ring_, seen);
    if (buf_pending_) {
      io_uring_buf_ring_advance(buf_ring_, int(buf_pending_));
      buf_pending_ = 0;
    }
  }
  // Whatever is left (peers that never finished closing) goes with the ring; frames are
  // released only after the ring is gone, since a pending send may still point at them.
  io_uring_queue_exit(&ring_);
  for (uint32_t slot = 0; slot < conns_.size(); ++slot) {
    Conn& c = *conns_[slot];
    if (c.state != ConnState::Free) release_queue(c);
  }
  std::free(buf_base_);
  ::munmap(buf_ring_, sizeof(io_uring_buf) * core_.config().recv_buffer_count);
  t_current = nullptr;
  RefSlab::current = nullptr;
}

void Shard::handle_cqe(io_uring_cqe* cqe) {
  uint64_t ud = io_uring_cqe_get_data64(cqe);
  Op op = Op(ud >> 56);
  const ConnId id{uint32_t(ud >> 32) & 0xFFFFFF, uint32_t(ud)};
  switch (op) {
    case kRecv: on_recv(id, cqe->res, cqe->flags); break;
    case kSend: on_send(id, cqe->res); break;
    case kAccept: on_accept(cqe->res, cqe->flags & IORING_CQE_F_MORE); break;
    case kClose: on_closed(id); break;
    case kWake:
      if (!(cqe->flags & IORING_CQE_F_MORE) && !stopping_) arm_wake();
      break;
    case kShutdown: break;
    default: break;
  }
}

void Shard::wake() {
  if (!wake_pending_.exchange(true)) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  }
}

bool Shard::has_room() const { return tasks_.size_approx() < core_.config().max_shard_queue; }

bool Shard::post(Task t) {
  if (!tasks_.enqueue(std::move(t))) return false;
  wake();
  return true;
}

void Shard::drain_tasks() {
  // Clear the flag before draining: a producer that enqueues after our last dequeue sees it
  // clear and writes the eventfd, so no task is left without a wake-up.
  if (wake_pending_.exchange(false)) {
    uint64_t v;
    [[maybe_unused]] ssize_t n = ::read(wake_fd_, &v, sizeof(v));
  }
  Task batch[64];
  unsigned done = 0;
  while (done < kTasksPerTurn) {
    size_t n = tasks_.try_dequeue_bulk(batch, 64);
    if (n == 0) break;
    for (size_t i = 0; i < n; ++i) {
      if (BroadcastMsg* m = batch[i].take_broadcast()) {
        process_broadcast(m);
      } else if (auto call = batch[i].take_call()) {
        // Application code (fetch_sockets callbacks, acks from other threads) must not
        // take the shard down with it.
        guarded("posted task", [&] { (*call)(*this); });
      }
    }
    done += unsigned(n);
  }
}

// ---------------------------------------------------------------- connections

uint32_t Shard::take_slot() {
  if (!free_slots_.empty()) {
    const uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  conns_.push_back(std::make_unique<Conn>());
  counters_.connection_slots.add();
  return uint32_t(conns_.size() - 1);
}

void Shard::on_accept(int res, bool more) {
  if (res >= 0) {
    int fd = res;
    const uint32_t max = core_.config().max_connections_per_shard + kRefusalSlots;
    if (free_slots_.empty() && conns_.size() >= max) {
      counters_.refused_full.add();
      ::close(fd);
    } else {
      // TCP_NODELAY comes from the listener (server.cpp): accepted sockets inherit it.
      sockaddr_storage ss{};
      socklen_t sl = sizeof(ss);
      char ip[INET6_ADDRSTRLEN] = "";
      if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &sl) == 0) {
        if (ss.ss_family == AF_INET)
          inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, ip, sizeof(ip));
        else
          inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr, ip, sizeof(ip));
      }
      const uint32_t slot = take_slot();
      // The socket moves into the ring's table; the process fd is closed right away.
      int r = io_uring_register_files_update(&ring_, slot, &fd, 1);
      ::close(fd);
      Conn& c = *conns_[slot];
      if (r < 0) {
        log(std::string("register file failed: ") + std::strerror(-r));
        free_slots_.push_back(slot);
      } else {
        ++c.gen;
        c.state = ConnState::Http;
        c.peer = ip;
        admit(c);
        c.open_deadline_ms = now_ms_ + core_.config().handshake_timeout_ms;
        ++open_conns_;
        counters_.accepted.add();
        counters_.connections.add();
        arm_recv(slot);
        reschedule(slot);
      }
    }
  } else if (res == -ECANCELED) {
    counters_.io_cancelled.add();
  } else {
    counters_.accept_errors.add();
    log(std::string("accept: ") + std::strerror(-res));
  }
  // EMFILE and friends end the multishot accept; re-arming at once would spin while the
  // condition lasts, so the timer re-arms it on its next tick instead.
  if (!more && !stopping_) {
    if (res == -EMFILE || res == -ENFILE || res == -ENOBUFS || res == -ENOMEM)
      accept_rearm_ms_ = now_ms_ + 100;
    else
      arm_accept();
  }
}

void Shard::on_recv(ConnId id, int res, uint32_t flags) {
  const uint32_t slot = id.slot;
  bool more = flags & IORING_CQE_F_MORE;
  bool has_buf = flags & IORING_CQE_F_BUFFER;
  uint16_t bid = uint16_t(flags >> IORING_CQE_BUFFER_SHIFT);
  Conn* cp = slot < conns_.size() ? conns_[slot].get() : nullptr;
  bool valid = cp && cp->gen == id.gen && cp->state != ConnState::Free;
  if (valid && !more) cp->recv_armed = false;
  if (valid && res > 0 && has_buf && (cp->state == ConnState::Http || cp->state == ConnState::Open)) {
    uint8_t* data = buf_base_ + size_t(bid) * core_.config().recv_buffer_size;
    on_bytes(slot, *cp, std::span<uint8_t>(data, size_t(res)));
  }
  if (has_buf) recycle_buffer(bid);
  if (res == -ENOBUFS) counters_.recv_buffers_exhausted.add();
  if (res == -ECANCELED) counters_.io_cancelled.add();  // a reset's cancel (shard_abort.cpp)
  if (!valid) return;
  Conn& c = *cp;
  if (res == 0) {
    close_conn(slot, c, 0, CloseReason::TransportClose);
  } else if (res < 0 && res != -ENOBUFS) {
    close_conn(slot, c, 0, CloseReason::TransportError);
  } else if (!more && c.state != ConnState::Closing) {
    arm_recv(slot);  // ENOBUFS or a multishot the kernel ended: buffers come back this turn
  }
  if (c.state == ConnState::Closing) maybe_free(slot, c);
}

LocalRef* Shard::new_ref(SharedFrame* f, uint32_t refs) {
  LocalRef* r = slab_.alloc();
  if (r == nullptr) [[unlikely]] {
    counters_.frames_dropped.add();
    return nullptr;
  }
  r->frame = f;
  r->refs = refs;
  return r;
}

void Shard::unref(LocalRef* r) {
  if (--r->refs == 0) {
    if (r->profiled) {
      if (r->t_submitted) {
        const int64_t now = mono_ns();
        profile_->stages[kComplete].record(now - r->t_submitted);
        profile_->stages[kTotal].record(now - r->t_emit);
      } else  // released before its turn's submit (recipient gone): drop the pending mark
        std::erase(profiled_pending_, r);
      r->profiled = false;
      r->t_submitted = 0;
    }
    r->frame->release();  // the one atomic operation per shard per frame
    slab_.free(r);
  }
}

// The per-recipient step, shared by single sends and the broadcast loop: a pointer push, a
// byte count, a flush-list entry the first time this turn, and the send-queue bound.
inline void Shard::enqueue(uint32_t slot, Conn& c, LocalRef* ref, size_t size, size_t limit) {
  c.q.push(ref);
  c.queued_bytes += size;
  if (!c.dirty) {
    c.dirty = true;
    dirty_.push_back(slot);
  }
  if (c.queued_bytes > limit && !c.slow && c.state == ConnState::Open) {
    c.slow = true;
    to_close_.push_back(slot);
  }
}

void Shard::queue_frame(uint32_t slot, Conn& c, SharedFrame* frame) {
  if (c.state == ConnState::Free || c.fd_closing) {
    frame->release();
    return;
  }
  LocalRef* r = new_ref(frame, 1);
  if (r == nullptr) {
    frame->release();
    return;
  }
  counters_.deliveries.add();
  enqueue(slot, c, r, frame->size(), core_.config().max_send_queue_bytes);
}

void Shard::send_frame(ConnId id, SharedFrame* frame) {
  Conn* c = conn_if(id);
  if (!c) {
    frame->release();
    return;
  }
  queue_frame(id.slot, *c, frame);
}

Conn* Shard::conn_if(ConnId id) {
  if (id.slot >= conns_.size()) return nullptr;
  Conn* c = conns_[id.slot].get();
  return (c->gen == id.gen && c->state != ConnState::Free) ? c : nullptr;
}

ShardNsp& Shard::nsp_state(uint32_t nsp_index) {
  if (nsp_index >= nsps_.size()) nsps_.resize(nsp_index + 1);
  if (!nsps_[nsp_index]) {
    nsps_[nsp_index] = std::make_unique<ShardNsp>();
    core_.observe_rooms(*nsps_[nsp_index], nsp_index);
  }
  return *nsps_[nsp_index];
}

void Shard::process_broadcast(BroadcastMsg* msg) {
  counters_.broadcasts.add();
  const int64_t t_deq = msg->t_emit ? mono_ns() : 0;
  ShardNsp& ns = nsp_state(msg->nsp_index);
  std::string_view rooms_buf[8], except_buf[8];
  std::vector<std::string_view> rooms_big, except_big;
  auto views = [](const std::vector<std::string>& in, std::string_view* buf, std::vector<std::string_view>& big) {
    if (in.size() <= 8) {
      for (size_t i = 0; i < in.size(); ++i) buf[i] = in[i];
      return std::span<const std::string_view>(buf, in.size());
    }
    big.assign(in.begin(), in.end());
    return std::span<const std::string_view>(big);
  };
  auto rooms = views(msg->rooms, rooms_buf, rooms_big);
  auto except = views(msg->except, except_buf, except_big);

  SharedFrame* frame = msg->frame;
  const size_t size = frame->size();
  const size_t limit = core_.config().max_send_queue_bytes;
  LocalRef* ref = new_ref(frame, 0);
  if (ref == nullptr) {
    frame->release();
    msg->release();
    return;
  }
  uint32_t count = 0;
  // Per recipient: a pointer push, a byte count, maybe a flush-list push. No allocation
  // in steady state, no atomic, no copy.
  ns.rooms.for_each_recipient(rooms, except, [&](uint32_t slot) {
    Conn& c = *conns_[slot];
    if (c.state != ConnState::Open || c.slow) return;
    if (msg->is_volatile && skip_volatile(c, size)) return;
    enqueue(slot, c, ref, size, limit);
    ++count;
  });
  counters_.deliveries.add(count);
  if (t_deq) {
    BroadcastProfile& p = *profile_;
    p.stages[kEncode].record(msg->t_encoded - msg->t_emit);
    p.stages[kHandoff].record(t_deq - msg->t_encoded);
    p.stages[kFanout].record(mono_ns() - t_deq);
    p.recipients.store(p.recipients.load(std::memory_order_relaxed) + count, std::memory_order_relaxed);
  }
  if (count == 0) {
    frame->release();
    slab_.free(ref);
  } else {
    ref->refs = count;
    if (t_deq) {
      ref->profiled = true;
      ref->t_emit = msg->t_emit;
      ref->t_dequeued = t_deq;
      profiled_pending_.push_back(ref);
    }
  }
  msg->release();
}

// ---------------------------------------------------------------- sending

void Shard::flush_sends() {
  for (uint32_t slot : dirty_) {
    Conn& c = *conns_[slot];
    c.dirty = false;
    if (c.polling && c.polling->role == PollRole::Session) {  // no socket: polling.cpp delivers
      if (c.state != ConnState::Free) polling_flush(slot, c);
      continue;
    }
    if (c.state == ConnState::Free || c.send_inflight || c.fd_closing || c.q.empty()) continue;
    start_send(slot, c);
  }
  dirty_.clear();
  if (!profiled_pending_.empty()) {
    // Frames queued behind a send still in flight go out when it completes; their "submit"
    // mark is this turn's, so the wait shows up in "complete".
    const int64_t now = mono_ns();
    for (LocalRef* r : profiled_pending_) {
      r->t_submitted = now;
      profile_->stages[kSubmit].record(now - r->t_dequeued);
    }
    profiled_pending_.clear();
  }
}

void Shard::start_send(uint32_t slot, Conn& c) {
  const uint32_t n = std::min(c.q.size(), SendScratch::kMaxPerSend);
  if (n > 1 && !scratch_.fits(n)) {
    submit();
    // Not all SQEs consumed (the kernel refused some): send what fits in one iovec now,
    // the rest when this completes.
  }
  io_uring_sqe* s = sqe();
  if (n == 1 || !scratch_.fits(n)) {
    // One frame (the common case when messages are sparse, e.g. one broadcast to very many
    // sockets): a plain send, no msghdr.
    SharedFrame* f = c.q.front()->frame;
    io_uring_prep_send(s, int(slot), f->data() + c.head_offset, f->size() - c.head_offset, MSG_NOSIGNAL);
  } else {
    msghdr* mh = scratch_.take(n);
    for (uint32_t i = 0; i < n; ++i) {
      SharedFrame* f = c.q.at(i)->frame;
      size_t off = i == 0 ? c.head_offset : 0;
      mh->msg_iov[i].iov_base = const_cast<uint8_t*>(f->data()) + off;
      mh->msg_iov[i].iov_len = f->size() - off;
    }
    io_uring_prep_sendmsg(s, int(slot), mh, MSG_NOSIGNAL);
  }
  c.send_inflight = true;
  s->flags |= IOSQE_FIXED_FILE;
  io_uring_sqe_set_data64(s, tag(kSend, ConnId{slot, c.gen}));
}

void Shard::release_queue(Conn& c) {
  while (!c.q.empty()) unref(c.q.pop());
  c.queued_bytes = 0;
  c.head_offset = 0;
  c.q.shrink_if_idle();
}

void Shard::on_send(ConnId id, int res) {
  if (res == -ECANCELED) counters_.io_cancelled.add();
  const uint32_t slot = id.slot;
  if (slot >= conns_.size()) return;
  Conn& c = *conns_[slot];
  if (c.gen != id.gen || !c.send_inflight) return;
  c.send_inflight = false;
  if (res < 0) {
    if (c.state != ConnState::Closing) close_conn(slot, c, 0, CloseReason::TransportError);
    release_queue(c);
    begin_close(slot, c);
    maybe_free(slot, c);
    return;
  }
  counters_.bytes_sent.add(uint64_t(res));
  size_t left = size_t(res);
  c.queued_bytes -= left;
  while (left > 0) {
    size_t avail = c.q.front()->frame->size() - c.head_offset;
    if (avail <= left) {
      left -= avail;
      c.head_offset = 0;
      unref(c.q.pop());
    } else {
      c.head_offset += uint32_t(left);
      left = 0;
    }
  }
  if (c.fd_closing) {
    release_queue(c);
    maybe_free(slot, c);
  } else if (!c.q.empty()) {
    start_send(slot, c);  // partial write or frames queued meanwhile: continue in order
  } else if (c.close_after_flush) {
    begin_close(slot, c);
  }
  // A queue that just emptied keeps its array: under sustained load it fills again at
  // once, and freeing it here made every burst regrow it (an allocation per send). Idle
  // connections give theirs back on their next ping (on_timer).
}

// ---------------------------------------------------------------- closing

void Shard::begin_close(uint32_t slot, Conn& c, bool reset) {
  if (c.fd_closing) return;
  c.fd_closing = true;
  make_room(2);  // a chain split over two submits would lose its link
  // Shutdown ends the multishot recv (it completes with 0) and fails a pending send; the
  // hard link makes the close run even if shutdown fails (peer already gone). A reset must
  // not send a FIN first, so it cancels the recv and send instead.
  io_uring_sqe* s = sqe();
  if (reset)
    io_uring_prep_cancel_fd(s, int(slot), IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_FD_FIXED);
  else
    io_uring_prep_shutdown(s, int(slot), SHUT_RDWR);
  s->flags |= (reset ? 0 : IOSQE_FIXED_FILE) | IOSQE_IO_HARDLINK;
  io_uring_sqe_set_data64(s, tag(kShutdown, ConnId{slot, c.gen}));
  s = sqe();
  io_uring_prep_close_direct(s, slot);
  io_uring_sqe_set_data64(s, tag(kClose, ConnId{slot, c.gen}));
}

void Shard::on_closed(ConnId id) {
  const uint32_t slot = id.slot;
  if (slot >= conns_.size()) return;
  Conn& c = *conns_[slot];
  if (c.gen != id.gen) return;
  c.fd_closed = true;
  maybe_free(slot, c);
}

void Shard::maybe_free(uint32_t slot, Conn& c) {
  if (c.state != ConnState::Closing) return;
  if (!c.fd_closing) {
    if (!c.send_inflight && !c.close_after_flush) begin_close(slot, c);
    return;
  }
  if (!c.fd_closed || c.recv_armed || c.send_inflight) return;
  release_queue(c);
  c.q.shrink_if_idle();
  release_admission(c);
  wheel_.cancel(slot);
  uint32_t gen = c.gen + 1;
  c.~Conn();
  new (&c) Conn();
  c.gen = gen;
  free_slots_.push_back(slot);
  --open_conns_;
  counters_.connections.sub();
}

// ---------------------------------------------------------------- timers

void Shard::reschedule(uint32_t slot) {
  Conn& c = *conns_[slot];
  int64_t d = 0;
  auto consider = [&](int64_t t) {
    if (t > 0 && (d == 0 || t < d)) d = t;
  };
  consider(c.open_deadline_ms);
  if (c.polling) consider(c.polling->upgrade_deadline_ms);
  if (c.state == ConnState::Open) {
    consider(c.pong_deadline_ms ? c.pong_deadline_ms : c.next_ping_ms);
    for (auto& s : c.sockets)
      if (s && s->pending_acks_)
        for (auto& [id, p] : *s->pending_acks_) consider(p.deadline_ms);
  }
  if (d == 0)
    wheel_.cancel(slot);
  else if (d != wheel_.deadline(slot))
    wheel_.schedule(slot, c.gen, d);
}

void Shard::run_timers() {
  if (accept_rearm_ms_ && now_ms_ >= accept_rearm_ms_ && !stopping_) {
    accept_rearm_ms_ = 0;
    arm_accept();
  }
  wheel_.advance(now_ms_, [&](const TimerWheel::Entry& e) {
    if (e.slot >= conns_.size()) return;
    Conn& c = *conns_[e.slot];
    if (c.gen != e.gen || c.state == ConnState::Free) return;
    on_timer(e.slot, c);
    if (c.gen == e.gen && c.state != ConnState::Free) reschedule(e.slot);
  });
}

}  // namespace roomcast::detail
