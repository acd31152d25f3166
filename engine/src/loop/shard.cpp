// The shard's event loop: io_uring set-up, accept, receive, send, wake-ups, timers.
// Protocol handling lives in session.cpp; this file knows nothing of Socket.IO.
#include "loop/shard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <utility>

#include "loop/io_test_hooks.h"
#include "server/server_core.h"
#include "uring/ops.h"
#include "uring/user_data.h"

namespace roomcast::detail {

namespace test_hooks {
std::atomic<uint32_t> refuse_submits{0};
}

namespace {

thread_local Shard* t_current = nullptr;

// user_data (uring/user_data.h): the operation, the connection's slot and generation.
// Completions are dispatched on it; a generation mismatch marks a stale completion.
using uring::Op;
using uring::UserData;
constexpr Op kAccept = Op::Accept, kRecv = Op::Recv, kSend = Op::Send, kShutdown = Op::Shutdown,
             kClose = Op::Close, kWake = Op::Wake;

constexpr uint64_t tag(Op op, ConnId id = {}) { return UserData::encode(op, id.slot, id.gen); }

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr unsigned kTasksPerTurn = 4096;
constexpr int64_t kMaxSleepMs = 1000;

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
  uring::RingConfig rc;
  rc.entries = core_.config().io_uring_entries;
  rc.fixed_files = core_.config().max_connections_per_shard + kRefusalSlots;
  if (auto err = ring_.init(rc)) throw std::runtime_error(err->message());
}

void Shard::setup_buffers() {
  const auto& cfg = core_.config();
  if (auto err = recv_bufs_.init(ring_, 0, cfg.recv_buffer_count, cfg.recv_buffer_size))
    throw std::runtime_error(err->message());
}

void Shard::submit() {
  if (uint32_t n = test_hooks::refuse_submits.load(std::memory_order_relaxed); n != 0) [[unlikely]] {
    while (n != 0 && !test_hooks::refuse_submits.compare_exchange_weak(n, n - 1)) {
    }
    if (n != 0) return;
  }
  ring_.submit();
  after_submit();
}

void Shard::after_submit() {
  if (ring_.sq_ready() == 0) scratch_.reset();
}

uring::Sqe* Shard::sqe() {
  uring::Sqe* s = ring_.get_sqe();
  if (s) [[likely]] return s;
  make_room(1);
  return ring_.get_sqe();
}

void Shard::make_room(unsigned n) {
  if (ring_.sq_space_left() >= n) return;
  counters_.submission_queue_full.add();
  // The kernel takes the whole queue, except when it cannot allocate requests (-EAGAIN;
  // since 5.19 a completion-queue overflow no longer refuses submits). That passes, so the
  // shard waits it out in 1 ms steps: an operation dropped here would leave a connection
  // waiting for a completion that never comes.
  while (true) {
    submit();
    if (ring_.sq_space_left() >= n) return;
    counters_.submit_retries.add();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void Shard::arm_accept() {
  uring::prep_accept_multishot(sqe(), listen_fd_, tag(kAccept));
}

void Shard::arm_wake() {
  uring::prep_poll_multishot(sqe(), wake_fd_, POLLIN, tag(kWake));
}

void Shard::arm_recv(uint32_t slot) {
  Conn& c = *conns_[slot];
  uring::prep_recv_multishot(sqe(), slot, recv_bufs_.group(), tag(kRecv, ConnId{slot, c.gen}));
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
    ring_.exit();  // before the buffers go (Shard's members), as at the end of run()
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
      uring::prep_cancel(sqe(), tag(kAccept), tag(Op::None));
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
    // Sleep until the next deadline, exactly (the wheel is 1 ms exact and says when it next
    // has work), or until the accept re-arm; at most a second, so that no bookkeeping slip
    // can put a shard to sleep for good.
    int64_t next = wheel_.next_due_ms();
    if (accept_rearm_ms_ && accept_rearm_ms_ < next) next = accept_rearm_ms_;
    int64_t wait_ms = more_tasks ? 0 : std::clamp<int64_t>(next - now_ms_, 1, kMaxSleepMs);
    int r = ring_.submit_and_wait(more_tasks ? 0 : 1, wait_ms * 1'000'000);
    after_submit();
    if (r < 0 && r != -ETIME && r != -EINTR && r != -EAGAIN && r != -EBUSY)
      log(std::string("io_uring wait: ") + std::strerror(-r));
    now_ms_ = steady_ms();
    ring_.for_each_cqe([this](uring::Cqe* cqe) { handle_cqe(cqe); });
    recv_bufs_.publish();
  }
  // Whatever is left (peers that never finished closing) goes with the ring; frames are
  // released only after the ring is gone, since a pending send may still point at them.
  ring_.exit();
  for (uint32_t slot = 0; slot < conns_.size(); ++slot) {
    Conn& c = *conns_[slot];
    if (c.state != ConnState::Free) release_queue(c);
  }
  recv_bufs_.release();
  t_current = nullptr;
  RefSlab::current = nullptr;
}

void Shard::handle_cqe(uring::Cqe* cqe) {
  const auto [op, slot, gen] = UserData::decode(uring::user_data(cqe));
  const ConnId id{slot, gen};
  switch (op) {
    case kRecv: on_recv(id, cqe->res, cqe->flags); break;
    case kSend: on_send(id, cqe->res); break;
    case kAccept: on_accept(cqe->res, uring::more(cqe->flags)); break;
    case kClose: on_closed(id); break;
    case kWake:
      if (!uring::more(cqe->flags) && !stopping_) arm_wake();
      break;
    default: break;  // Shutdown, None: nothing waits for them
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
      int r = ring_.set_file(slot, fd);
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
  bool more = uring::more(flags);
  const std::optional<uint16_t> buf = uring::BufferRing::buffer_of(flags);
  Conn* cp = slot < conns_.size() ? conns_[slot].get() : nullptr;
  bool valid = cp && cp->gen == id.gen && cp->state != ConnState::Free;
  if (valid && !more) cp->recv_armed = false;
  if (valid && res > 0 && buf && (cp->state == ConnState::Http || cp->state == ConnState::Open)) {
    on_bytes(slot, *cp, std::span<uint8_t>(recv_bufs_.data(*buf), size_t(res)));
  } else if (valid && res > 0 && cp->state == ConnState::Closing) {
    // After our close frame: what the peer still sends is read only to be dropped, so that
    // close() finds nothing unread (which would make it a reset, discarding our close frame
    // on its way). Counted from the linger on; bounded.
    if (cp->lingering) {
      cp->linger_bytes += size_t(res);
      counters_.close_linger_bytes.add(uint64_t(res));
      if (cp->linger_bytes > core_.config().close_linger_bytes && !cp->fd_closing) {
        counters_.close_linger_limits.add();
        cp->lingering = false;
        begin_close(slot, *cp);
      }
    }
  }
  if (buf) recv_bufs_.recycle(*buf);
  if (res == -ENOBUFS) counters_.recv_buffers_exhausted.add();
  if (res == -ECANCELED) counters_.io_cancelled.add();  // a reset's cancel (shard_abort.cpp)
  if (!valid) return;
  Conn& c = *cp;
  if (res == 0 && c.lingering) {  // the peer read our close and finished: done
    c.lingering = false;
    begin_close(slot, c);
  } else if (res == 0) {
    close_conn(slot, c, 0, CloseReason::TransportClose);
  } else if (res < 0 && res != -ENOBUFS) {
    if (c.lingering) {
      c.lingering = false;
      begin_close(slot, c);
    }
    close_conn(slot, c, 0, CloseReason::TransportError);
  } else if (!more && (c.state != ConnState::Closing || (c.lingering && !c.fd_closing))) {
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
  uring::Sqe* s = sqe();
  if (n == 1 || !scratch_.fits(n)) {
    // One frame (the common case when messages are sparse, e.g. one broadcast to very many
    // sockets): a plain send, no msghdr.
    SharedFrame* f = c.q.front()->frame;
    uring::prep_send(s, slot, f->data() + c.head_offset, f->size() - c.head_offset, tag(kSend, ConnId{slot, c.gen}));
  } else {
    msghdr* mh = scratch_.take(n);
    for (uint32_t i = 0; i < n; ++i) {
      SharedFrame* f = c.q.at(i)->frame;
      size_t off = i == 0 ? c.head_offset : 0;
      mh->msg_iov[i].iov_base = const_cast<uint8_t*>(f->data()) + off;
      mh->msg_iov[i].iov_len = f->size() - off;
    }
    uring::prep_sendmsg(s, slot, mh, tag(kSend, ConnId{slot, c.gen}));
  }
  c.send_inflight = true;
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
    if (c.linger_after_flush)
      begin_linger(slot, c);
    else
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
  uring::Sqe* s = sqe();
  if (reset)
    uring::prep_cancel_slot(s, slot, tag(kShutdown, ConnId{slot, c.gen}));
  else
    uring::prep_shutdown(s, slot, SHUT_RDWR, tag(kShutdown, ConnId{slot, c.gen}));
  uring::link_hard(s);
  uring::prep_close(sqe(), slot, tag(kClose, ConnId{slot, c.gen}));
}

void Shard::send_and_close(uint32_t slot, Conn& c, std::string_view bytes, int64_t flush_ms) {
  c.state = ConnState::Closing;
  c.http_in.clear();
  c.http_in.shrink_to_fit();
  queue_frame(slot, c, SharedFrame::copy_of(bytes));
  c.close_after_flush = true;
  c.open_deadline_ms = now_ms_ + flush_ms;
  reschedule(slot);
}

void Shard::begin_linger(uint32_t slot, Conn& c) {
  if (c.fd_closing || c.lingering) return;
  c.close_after_flush = false;
  c.lingering = true;
  counters_.close_lingers.add();
  uring::prep_shutdown(sqe(), slot, SHUT_WR, tag(kShutdown, ConnId{slot, c.gen}));
  if (!c.recv_armed) arm_recv(slot);
  c.open_deadline_ms = now_ms_ + core_.config().close_linger_ms;
  reschedule(slot);
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
    if (!c.send_inflight && !c.close_after_flush && !c.lingering) begin_close(slot, c);
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
