// The worker's io_uring loop: ring and buffer-ring set-up, one submit-and-wait per loop
// turn, completions dispatched in a batch, snapshots for the coordinator.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "sio_client.h"
#include "uring/user_data.h"
#include "worker.h"
#include "worker_internal.h"

namespace roomcast::bench {

using namespace detail;

namespace {
constexpr uint64_t kSnapshotEvery = 200 * kMs;
constexpr uint64_t kIdleWait = 2 * kMs;  // how often an idle worker looks at the control block
}  // namespace

uint64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

Worker::Worker(const RunPlan& plan, uint32_t slot)
    : plan_(plan), opt_(*plan.opt), slot_shm_(plan.shared->slot(slot)), slot_(slot) {
  nsp_prefix_ = sioc::nsp_prefix(opt_.nsp);
  connect_packet_ = sioc::connect_packet(opt_.nsp);
  const uint32_t stride = opt_.workers();
  for (uint64_t id = slot; id < opt_.connections; id += stride) {
    Conn c;
    c.id = id;
    c.room = plan.rooms.room_of(id);
    c.track_off = uint32_t(trackers_.size());
    c.track_n = plan.rooms.publishers_in(c.room);
    trackers_.resize(trackers_.size() + c.track_n);
    if (id < opt_.publishers) {
      Publisher p;
      p.conn = uint32_t(conns_.size());
      p.id = uint32_t(id);
      p.enc = opt_.raw ? payload::PublishEncoder::raw(RoomPlan::name(c.room), opt_.payload)
                       : payload::PublishEncoder(nsp_prefix_, RoomPlan::name(c.room), opt_.payload);
      c.publisher = int32_t(pubs_.size());
      pubs_.push_back(std::move(p));
    }
    conns_.push_back(std::move(c));
  }
  size_t scratch = 256;
  for (const Publisher& p : pubs_) scratch = std::max(scratch, p.enc.max_size());
  scratch_.resize(scratch);
  if (!opt_.saturate()) {
    interval_ns_ = double(opt_.publishers) / opt_.rate * 1e9;
    for (Publisher& p : pubs_) p.phase_ns = uint64_t(interval_ns_ * double(p.id) / double(opt_.publishers));
  }
  ramp_per_ns_ = opt_.ramp / double(stride) / 1e9;
  rng_ ^= (uint64_t(slot) + 1) * 0xD6E8FEB86659FD93ull ^ mono_ns();
}

Worker::~Worker() {
  ring_.exit();  // first: the kernel may write into a receive buffer until the ring is gone
  bufs_.release();
}

bool Worker::setup_ring(std::string& err) {
  if (conns_.size() > uring::UserData::kMaxSlot) {
    err = "too many connections for one worker thread: use more --threads or --procs";
    return false;
  }
  // Sockets go into the ring's fixed-file table and their fds are closed at once: the
  // table is limited per ring (not per process) by RLIMIT_NOFILE, and the kernel skips
  // the fd lookup on every operation. A deep completion queue: every connection may have a
  // receive and a send completing in one turn.
  uring::RingConfig rc;
  rc.entries = 4096;
  rc.cq_entries = 32768;
  rc.fixed_files = unsigned(conns_.size());
  if (auto e = ring_.init(rc)) {
    err = e->message();
    if (e->step == uring::SetupError::Step::FixedFiles) {
      rlimit rl{};
      getrlimit(RLIMIT_NOFILE, &rl);
      err = "cannot register " + std::to_string(conns_.size()) + " sockets in one io_uring (" +
            std::strerror(e->err) + "; fd limit " + std::to_string(rl.rlim_cur) +
            "): use more --threads or --procs";
    }
    return false;
  }
  uint32_t count = 512;
  while (count < conns_.size() && count < 2048) count *= 2;
  if (auto e = bufs_.init(ring_, 0, count, kBufSize)) {
    err = e->message();
    return false;
  }
  return true;
}

uring::Sqe* Worker::sqe() {
  uring::Sqe* s = ring_.get_sqe();
  while (!s) {  // queue full: hand what we have to the kernel and retry
    ring_.submit();
    s = ring_.get_sqe();
  }
  return s;
}

void Worker::run() {
  std::string err;
  if (!setup_ring(err)) {
    slot_shm_.set_error(err.c_str());
    slot_shm_.state.store(int32_t(SlotState::Fatal), std::memory_order_release);
    return;
  }
  slot_shm_.state.store(int32_t(SlotState::Connecting), std::memory_order_release);
  loop();
  snapshot(true);
  slot_shm_.state.store(int32_t(SlotState::Done), std::memory_order_release);
}

void Worker::loop() {
  Control& ctl = plan_.shared->control();
  connect_t0_ = mono_ns();
  const double ramp_s = double(conns_.size()) / (ramp_per_ns_ * 1e9);
  deadline_ns_ = connect_t0_ + uint64_t((ramp_s + opt_.connect_timeout + 60.0) * 1e9);
  while (true) {
    const uint64_t now = mono_ns();
    if (ctl.stop.load(std::memory_order_acquire)) break;
    if (now > deadline_ns_) {
      slot_shm_.set_error("worker hit its hard deadline (coordinator gone or stuck?)");
      break;
    }
    if (!start_ns_) {
      if (const int64_t s = ctl.start_ns.load(std::memory_order_acquire); s > 0) {
        start_ns_ = uint64_t(s);
        warm_end_ns_ = start_ns_ + uint64_t(opt_.warmup * 1e9);
        meas_end_ns_ = warm_end_ns_ + uint64_t(opt_.duration * 1e9);
        deadline_ns_ = meas_end_ns_ + uint64_t((opt_.drain + 60.0) * 1e9);
      }
    }
    if (start_ns_) {
      const int64_t cut = ctl.end_ns.load(std::memory_order_relaxed);
      if (cut > 0 && uint64_t(cut) < meas_end_ns_) meas_end_ns_ = std::max(uint64_t(cut), warm_end_ns_);
    }
    start_connections(now);
    if (pending_ && now - last_timeout_scan_ >= 50 * kMs) check_timeouts(now);
    become_ready_if_resolved(now);
    if (start_ns_ && now >= start_ns_) publish_step(now);
    flush();
    if (now - last_snapshot_ >= kSnapshotEvery) snapshot(false);

    ring_.submit_and_wait(1, int64_t(wait_timeout_ns(now)));
    ring_.for_each_cqe([this](uring::Cqe* cqe) { handle_cqe(cqe); });
    bufs_.publish();
  }
}

uint64_t Worker::wait_timeout_ns(uint64_t now) const {
  uint64_t wait = kIdleWait;
  if (next_to_start_ < conns_.size()) {
    const uint64_t due = connect_t0_ + uint64_t(double(next_to_start_) / ramp_per_ns_);
    wait = std::min(wait, due > now ? due - now : 0);
  }
  if (start_ns_ && !opt_.saturate() && now < meas_end_ns_) {
    for (const Publisher& p : pubs_) {
      const Conn& c = conns_[p.conn];
      if (c.state != CState::Ready || c.out.size() > kMaxQueued) continue;  // nothing to do until a completion
      const uint64_t due = start_ns_ + p.phase_ns + uint64_t(double(p.next_seq) * interval_ns_);
      wait = std::min(wait, due > now ? due - now : 0);
    }
  } else if (start_ns_ && now < start_ns_) {
    wait = std::min(wait, start_ns_ - now);
  }
  return std::max<uint64_t>(wait, 1000);
}

void Worker::handle_cqe(uring::Cqe* cqe) {
  const uring::UserData ud = uring::UserData::decode(uring::user_data(cqe));
  switch (ud.op) {
    case Op::Connect: on_connect(ud.slot, cqe->res); break;
    case Op::Recv: on_recv(ud.slot, cqe); break;
    case Op::Send: on_send(ud.slot, cqe->res); break;
    default: break;  // Shutdown and Close of a failed connection: nothing waits for them
  }
}

void Worker::snapshot(bool final) {
  last_snapshot_ = mono_ns();
  if (final) {
    ctr_.recv_unique = 0;
    for (const SeqTracker& t : trackers_) ctr_.recv_unique += t.unique();
    std::atomic<uint64_t>* published = plan_.shared->published(slot_);
    for (const Publisher& p : pubs_)
      published[conns_[p.conn].room].fetch_add(p.next_seq, std::memory_order_relaxed);
  }
  slot_shm_.counters.store(ctr_);
  slot_shm_.lat_measured.store(lat_measured_);
  slot_shm_.lat_all.store(lat_all_);
  slot_shm_.connect.store(connect_hist_);
}

}  // namespace roomcast::bench
