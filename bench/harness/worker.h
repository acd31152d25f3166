// One load-generating thread: its own io_uring, its share of the connections, its own
// statistics. Threads of a worker never share mutable state; they meet only in the
// shared run state (shared_run.h).
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "histogram.h"
#include "options.h"
#include "payload.h"
#include "rooms.h"
#include "seq_tracker.h"
#include "shared_run.h"
#include "uring/buffer_ring.h"
#include "uring/ring.h"

namespace roomcast::bench {

struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
};

// Everything a worker needs, computed once before the workers start.
struct RunPlan {
  const Options* opt = nullptr;
  Endpoint target;
  Endpoint receiver_target;       // --receiver-url, else the same as target
  std::vector<Endpoint> sources;  // --source-addrs, port 0
  std::string host_header;
  std::string upgrade_path;       // --path
  RoomPlan rooms{1, 1, Spread::Uniform, 1.0};
  SharedRun* shared = nullptr;
};

// Past this many queued bytes a connection publishes no more until its sends complete, so a
// server that stops reading cannot make the harness buffer without bound.
inline constexpr size_t kMaxQueued = 4u << 20;

enum class CState : uint8_t { Idle, Connecting, Upgrading, WaitOpen, WaitConnect, WaitJoin, Ready, Dead };

struct Conn {
  uint64_t id = 0;  // global connection number
  uint32_t room = 0;
  CState state = CState::Idle;
  bool send_inflight = false;
  bool dirty = false;
  bool recv_armed = false;
  bool was_ready = false;
  bool frag_text = false;
  int32_t publisher = -1;  // index into Worker::pubs_
  uint32_t track_off = 0;  // first SeqTracker of this receiver's room publishers
  uint32_t track_n = 0;
  uint64_t t_start = 0;    // connect submitted (CLOCK_MONOTONIC ns)
  size_t sent = 0;         // bytes of `sending` already accepted by the kernel
  std::string out;         // frames queued this turn
  std::string sending;     // frames owned by the in-flight send
  std::string carry;       // bytes of an incomplete frame (or handshake head)
  std::string frag;        // a fragmented message being reassembled (rare)
  std::string accept;      // expected Sec-WebSocket-Accept until upgraded
};

struct Publisher {
  uint32_t conn = 0;          // index into Worker::conns_
  uint32_t id = 0;            // global publisher id (= connection id)
  uint64_t next_seq = 0;      // sequence number of the next publish
  uint64_t own_next = 0;      // 1 + highest own sequence number received back
  uint64_t last_progress = 0; // last time own_next moved (stall detection)
  uint64_t phase_ns = 0;      // fixed rate: offset of this publisher's schedule
  payload::PublishEncoder enc;
};

class Worker {
 public:
  Worker(const RunPlan& plan, uint32_t slot);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void run();  // returns when the coordinator says stop (or the hard deadline passes)

 private:
  // worker_loop.cpp: the ring, connections, sends, the loop.
  bool setup_ring(std::string& err);
  uring::Sqe* sqe();
  void loop();
  void handle_cqe(uring::Cqe* cqe);
  void start_connections(uint64_t now);
  void start_one(uint32_t i, uint64_t now);
  int bind_source(int fd, uint64_t id);
  void on_connect(uint32_t i, int res);
  void on_recv(uint32_t i, uring::Cqe* cqe);
  void on_send(uint32_t i, int res);
  void arm_recv(uint32_t i);
  void mark_dirty(uint32_t i);
  void flush();
  void fail(uint32_t i, std::string_view why);
  void check_timeouts(uint64_t now);
  void become_ready_if_resolved(uint64_t now);
  void snapshot(bool final);
  uint64_t wait_timeout_ns(uint64_t now) const;

  // worker_proto.cpp: bytes to frames to packets; publishing.
  void feed(uint32_t i, std::string_view data);
  bool feed_frames(uint32_t i, std::string_view& data);
  void on_frame(uint32_t i, uint8_t op, std::string_view payload, bool fin);
  void on_text(uint32_t i, std::string_view text);
  void on_message(Conn& c, std::string_view json);
  void on_raw_text(uint32_t i, std::string_view text);
  void become_ready(Conn& c);
  void on_stamp(Conn& c, const payload::Stamp& s);
  void send_text(uint32_t i, std::string_view text);
  void publish_step(uint64_t now);
  void publish_one(Publisher& p, uint64_t t_stamp);

  uint32_t mask_key() {
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    return uint32_t(rng_);
  }

  const RunPlan& plan_;
  const Options& opt_;
  SlotShm& slot_shm_;
  uint32_t slot_;
  std::string nsp_prefix_;

  // The engine's io_uring layer (engine/src/uring), set up as the shards set theirs up.
  uring::Ring ring_;
  uring::BufferRing bufs_;  // multishot receives' buffers

  std::vector<Conn> conns_;
  std::vector<Publisher> pubs_;
  std::vector<SeqTracker> trackers_;
  std::vector<uint32_t> dirty_;
  std::vector<char> scratch_;  // one outgoing packet's text
  uint64_t rng_ = 0x9E3779B97F4A7C15ull;

  uint32_t next_to_start_ = 0;
  uint32_t pending_ = 0;  // started, neither ready nor failed
  bool ready_reported_ = false;
  uint64_t connect_t0_ = 0;
  double ramp_per_ns_ = 0;
  uint64_t last_timeout_scan_ = 0;
  uint64_t last_snapshot_ = 0;
  uint64_t deadline_ns_ = 0;  // the loop ends by itself at the latest here
  uint64_t now_ = 0;          // time of the completion being handled
  std::string connect_packet_;

  // Run timeline (CLOCK_MONOTONIC ns), known once the coordinator sets the start.
  uint64_t start_ns_ = 0, warm_end_ns_ = 0, meas_end_ns_ = 0;
  double interval_ns_ = 0;  // fixed rate: per-publisher interval

  Counters ctr_;
  Histogram lat_measured_, lat_all_, connect_hist_;
};

uint64_t mono_ns();

}  // namespace roomcast::bench
