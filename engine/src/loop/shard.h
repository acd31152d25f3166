// One event loop thread: its io_uring, its connections, its share of every namespace.
//
// Nothing in here is touched by another thread except the inbound task queue (lock-free)
// and the wake-up eventfd. Everything else crossing shards is an immutable SharedFrame.
#pragma once
// concurrentqueue before uring/ (liburing): the kernel headers define a BLOCK_SIZE macro
// that collides with the queue's member of that name.
#include <concurrentqueue.h>

#include <atomic>
#include <cassert>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "loop/broadcast_profile.h"
#include "loop/close_reason.h"
#include "loop/counters.h"
#include "loop/handles.h"
#include "util/guarded.h"
#include "engineio/polling.h"
#include "roomcast/server.h"
#include "rooms/room_table.h"
#include "loop/send_queue.h"
#include "uring/buffer_ring.h"
#include "uring/ring.h"
#include "uring/send_scratch.h"
#include "util/shared_frame.h"
#include "proto/sio/sio_attachments.h"
#include "util/timer_wheel.h"
#include "proto/ws/ws_frame.h"

namespace roomcast::http {
struct Request;
}

namespace roomcast::detail {

class ServerCore;

class BroadcastAckGroup;

// Wall-clock ms since the epoch: when a handshake came (socket.io's handshake.issued).
inline int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct PendingAck {
  AckCallback cb;
  int64_t deadline_ms;
  // A broadcast member's: `cb` also runs (timed_out) when the socket leaves first, so that
  // its group learns this member will never answer.
  bool ends_on_disconnect = false;
};

// A broadcast on its way to shards: the encoded frame plus whom it is for.
struct BroadcastMsg {
  SharedFrame* frame;  // holds one reference per target shard
  uint32_t nsp_index;
  std::vector<std::string> rooms;
  std::vector<std::string> except;
  std::atomic<uint32_t> refs;  // one per target shard
  int64_t t_emit = 0, t_encoded = 0;  // set only when profiling
  bool is_volatile = false;           // Broadcast::volatile_()
  void release() {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
};

// Work for a shard, from any thread: a broadcast to fan out, or a call to run on the shard's
// thread. It owns what it carries, one pointer either way (a broadcast crosses the queue as
// the one BroadcastMsg pointer it always was: no allocation, no copy added). A task dropped
// without running (an enqueue refused, a queue destroyed with its shard) frees its call, or
// gives back its broadcast's references to the frame and to the message.
class Task {
 public:
  using Call = std::function<void(Shard&)>;
  Task() = default;
  explicit Task(BroadcastMsg* m) noexcept : broadcast_(m) {}
  explicit Task(std::unique_ptr<Call> c) noexcept : call_(std::move(c)) {}
  Task(Task&& o) noexcept : broadcast_(std::exchange(o.broadcast_, nullptr)), call_(std::move(o.call_)) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      drop_broadcast();
      broadcast_ = std::exchange(o.broadcast_, nullptr);
      call_ = std::move(o.call_);
    }
    return *this;
  }
  ~Task() { drop_broadcast(); }

  // What the task carries, handed over to the caller (at most one of the two is set).
  BroadcastMsg* take_broadcast() noexcept { return std::exchange(broadcast_, nullptr); }
  std::unique_ptr<Call> take_call() noexcept { return std::move(call_); }

 private:
  void drop_broadcast() noexcept {
    if (broadcast_) {
      broadcast_->frame->release();
      broadcast_->release();
    }
  }
  BroadcastMsg* broadcast_ = nullptr;
  std::unique_ptr<Call> call_;
};

enum class ConnState : uint8_t { Free, Http, Open, Closing };

// A Socket.IO packet with its attachments; while some are due it waits in the connection.
using PendingBinary = sio::AssembledPacket;

// One TCP connection (one Engine.IO session), living in a slot of its shard.
struct Conn {
  uint32_t gen = 0;
  ConnState state = ConnState::Free;
  bool recv_armed = false;
  bool send_inflight = false;
  bool dirty = false;              // in the shard's flush list
  bool close_after_flush = false;  // graceful close once the queue is written
  bool linger_after_flush = false; // ...and drain the peer first (Config::close_linger_ms)
  bool lingering = false;          // write side shut, reading and discarding until FIN
  bool fd_closing = false;         // shutdown/close submitted
  bool fd_closed = false;          // close completed
  bool slow = false;               // over the send-queue bound, about to be dropped
  bool ever_connected = false;     // joined a namespace at least once
  bool admitted = false;           // counted by the connection limits (shard_admission.cpp)
  uint8_t refusal = 0;             // over a limit: answered 503 once the request head is in
  size_t queued_bytes = 0;         // bytes in `q` not yet written
  size_t linger_bytes = 0;         // discarded while lingering
  uint32_t head_offset = 0;        // bytes of q.front() already written
  SendQueue q;

  std::string http_in;             // request head, only before the upgrade
  std::unique_ptr<ws::Parser> parser;
  std::unique_ptr<Handshake> handshake;
  std::vector<std::unique_ptr<Socket>> sockets;   // one per connected namespace
  std::unique_ptr<PendingBinary> pending_binary;

  int64_t open_deadline_ms = 0;    // handshake / connect timeout / close linger; 0 = none
  int64_t next_ping_ms = 0;
  int64_t pong_deadline_ms = 0;    // 0 = no ping outstanding
  std::string peer;
  std::unique_ptr<PollingConn> polling;  // long-polling role (polling.h), if any
  std::unique_ptr<std::string> engine_sid;  // set on sessions of the bare Engine.IO endpoint
};

// Per-shard state of one namespace.
struct ShardNsp {
  RoomTable rooms;
};

class Shard {
 public:
  Shard(ServerCore& core, unsigned index, int listen_fd);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  unsigned index() const { return index_; }
  ShardId id() const { return ShardId{index_}; }
  ServerCore& core() { return core_; }
  const ShardCounters& counters() const { return counters_; }
  const BroadcastProfile& profile() const { return *profile_; }
  void reset_profile() {  // on this shard's thread; readers keep a valid object
    for (auto& h : profile_->stages) h.clear();
    profile_->recipients.store(0, std::memory_order_relaxed);
  }

  void run();                 // the thread body; returns after stop
  void request_stop();        // any thread
  // Queues work for this shard (any thread), whatever the bound: callers check has_room()
  // first (ServerCore::submit_to, dispatch). False only if the queue could not grow (no
  // memory); the task is then dropped, which frees what it carries.
  bool post(Task t);
  bool has_room() const;      // below the queue bound, Config::max_shard_queue (approximate)
  void wake();

  // ---- used on this shard's thread only ----
  static Shard* current();    // the shard whose thread is running, or null
  // Debug builds stop here when called off this shard's thread. The shard-only entry points
  // that application code reaches (Socket::join/leave/rooms/emit/disconnect) check it: a
  // token type obtainable only on the shard thread would say it in their signatures, but
  // would change every public handler's; the assertion keeps the API and costs nothing in
  // release builds. What may come from any thread (Ack, Next, EngineConnection) goes through
  // ServerCore::run_on instead.
  void assert_on_thread() const { assert(current() == this && "shard-only call off the shard's thread"); }
  void process_broadcast(BroadcastMsg* msg);
  // Queues `frame` (takes over one reference) on the connection if it is still open.
  void send_frame(ConnId id, SharedFrame* frame);
  Conn* conn_if(ConnId id);
  ShardNsp& nsp_state(uint32_t nsp_index);

  // Socket.IO-level operations (session.cpp).
  void socket_join(Socket& s, std::string_view room);
  void socket_leave(Socket& s, std::string_view room);
  std::vector<std::string> socket_rooms(const Socket& s);
  void socket_disconnect(Socket& s, bool close_connection, CloseReason reason, bool notify_client);
  void socket_emit(Socket& s, SharedFrame* frame);
  // Volatile emits (shard_volatile.cpp): true if `c` is too backed up to take `size` more
  // bytes of droppable data; counts the drop.
  bool skip_volatile(const Conn& c, size_t size);
  void middleware_done(ConnId id, uint32_t nsp_index, uint32_t step, bool accepted,
                       std::string message, std::string data_json);
  void run_middleware(uint32_t slot, Conn& c, Socket& s, uint32_t step);
  void for_each_selected(uint32_t nsp_index, const std::vector<std::string>& rooms,
                         const std::vector<std::string>& except,
                         const std::function<void(Socket&)>& f);
  // Broadcast with acks (broadcast_ack.cpp): queues `frame` (one reference, taken over) for
  // the selected sockets, each then waiting for `ack_id` on behalf of `group`; reports the
  // member count to the group.
  void fan_out_with_ack(uint32_t nsp_index, SharedFrame* frame, uint64_t ack_id,
                        const std::vector<std::string>& rooms, const std::vector<std::string>& except,
                        int64_t timeout_ms, const std::shared_ptr<BroadcastAckGroup>& group);
  // A leaving socket's broadcast acks end unanswered (see PendingAck::ends_on_disconnect).
  void end_broadcast_acks(Socket& s);
  int64_t now_ms() const { return now_ms_; }
  void reschedule(uint32_t slot);
  void log(std::string_view line);

  // Runs application code (handlers, callbacks, middleware) on this shard: whatever it
  // throws is counted (handler_exceptions) and logged, and goes no further (guarded.h).
  template <class F>
  bool guarded(std::string_view what, F&& f, std::string* error = nullptr) noexcept {
    return call_guarded(what, f, [this](const std::string& line) {
      counters_.handler_exceptions.add();
      log(line);
    }, error);
  }

 private:
  friend class SessionOps;
  // I/O (shard.cpp)
  void setup_ring();
  void setup_buffers();
  void arm_accept();
  void arm_recv(uint32_t slot);
  void arm_wake();
  void handle_cqe(uring::Cqe* cqe);
  void on_accept(int res, bool more);
  // A free connection slot, or a new one (counted in connection_slots).
  uint32_t take_slot();
  void on_recv(ConnId id, int res, uint32_t flags);
  void on_send(ConnId id, int res);
  void on_closed(ConnId id);
  void drain_tasks();
  void flush_sends();
  void start_send(uint32_t slot, Conn& c);
  void release_queue(Conn& c);
  void begin_close(uint32_t slot, Conn& c, bool reset = false);
 public:
  // Ends a connection that is still reading its request (an HTTP answer, a refusal): `bytes`
  // go out, then a graceful close; a peer that does not read them within `flush_ms` is cut.
  void send_and_close(uint32_t slot, Conn& c, std::string_view bytes, int64_t flush_ms = 1000);
 private:
  // The queue (ending in a close frame) is written: FIN, then read and discard until the
  // peer's FIN or a bound (close_linger_ms / close_linger_bytes), then begin_close.
  void begin_linger(uint32_t slot, Conn& c);
  void abort_conn(uint32_t slot, Conn& c);  // shard_abort.cpp: close with a TCP reset
  // Connection limits (shard_admission.cpp).
  void admit(Conn& c);
  void release_admission(Conn& c);
 public:
  bool refuse_if_over_limit(uint32_t slot, Conn& c);  // on_http, with the request head in
 private:
  void maybe_free(uint32_t slot, Conn& c);
  void run_timers();
  int64_t begin_shutdown();  // shard_shutdown.cpp; returns the deadline
  uring::Sqe* sqe();  // never null: a full queue is submitted first (make_room)
  void make_room(unsigned n);  // n SQEs free in the submission queue
  void submit();        // io_uring_submit + after_submit
  void after_submit();  // frees the send scratch once every SQE is consumed

 public:
  // Protocol (session.cpp). Public for the session helpers, not for applications.
  void on_bytes(uint32_t slot, Conn& c, std::span<uint8_t> data);
  void on_http(uint32_t slot, Conn& c, std::span<uint8_t> data);
  void on_ws_message(uint32_t slot, Conn& c, const ws::Message& m);
  void on_eio_text(uint32_t slot, Conn& c, std::string_view text);
  void on_sio_packet(uint32_t slot, Conn& c, std::string_view text);
  void dispatch_packet(uint32_t slot, Conn& c, PendingBinary& p);
  void on_timer(uint32_t slot, Conn& c);
  // Closes the connection: WebSocket close `code` (0 = none, just drop), sockets get
  // `reason` for their disconnect handlers.
  void close_conn(uint32_t slot, Conn& c, uint16_t code, CloseReason reason);
  void send_text(uint32_t slot, Conn& c, std::string_view eio_text);
  void queue_frame(uint32_t slot, Conn& c, SharedFrame* frame);
  void disconnect_sockets_of(uint32_t slot, Conn& c, CloseReason reason);
  void connect_namespace(uint32_t slot, Conn& c, std::string_view nsp, std::string_view auth);
  void finish_connect(uint32_t slot, Conn& c, Socket* s);
  Socket* socket_of(Conn& c, uint32_t nsp_index);
  void call_handler(Socket& s, const EventHandler& h, const Args& args, Ack ack);

  // Long-polling and upgrades (polling.cpp). Hooks return true when they took over.
  bool polling_http(uint32_t slot, Conn& c, const http::Request& req, size_t head_bytes);
  bool polling_hold_bytes(uint32_t slot, Conn& c, std::span<uint8_t> data);
  bool polling_closing(uint32_t slot, Conn& c, bool graceful, uint16_t code, CloseReason reason);
  bool polling_relay_in(uint32_t slot, Conn& c, const ws::Message& m);
  bool polling_timer(uint32_t slot, Conn& c);
  void polling_flush(uint32_t slot, Conn& c);
  void polling_answer(ConnId id, PollAnswer a);
  void polling_get(std::string sid, ConnRef from, bool keep_alive, std::string headers);
  void polling_post(std::string sid, ConnRef from, bool keep_alive, std::string body, std::string headers);
  void polling_ws_open(std::string sid, ConnRef from);
  void polling_ws_in(ConnId session, ConnRef from, ws::Opcode op, std::string payload);
  void polling_conn_gone(std::string sid, ConnRef who);
  void polling_relay_out(ConnId id, std::vector<SharedFrame*> frames, uint16_t close_code);

  // Config::static_resources (static_http.cpp).
  bool serve_static(uint32_t slot, Conn& c, const http::Request& req, size_t head_bytes);

  // The bare Engine.IO endpoint (engine_io.cpp).
  bool engine_path(std::string_view path) const;
  void engine_opened(uint32_t slot, Conn& c, std::string sid);
  void engine_message(uint32_t slot, Conn& c, std::string_view data, bool binary);
  void engine_closed(uint32_t slot, Conn& c, CloseReason reason);

 private:
  ServerCore& core_;
  unsigned index_;
  int listen_fd_;
  int wake_fd_ = -1;
  uring::Ring ring_;
  std::atomic<bool> wake_pending_{false};
  std::atomic<bool> stop_requested_{false};
  bool stopping_ = false;
  moodycamel::ConcurrentQueue<Task> tasks_;
  uint64_t wake_buf_ = 0;

  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<uint32_t> free_slots_;
  uint32_t open_conns_ = 0;
  uint32_t admitted_conns_ = 0;          // open_conns_ minus those being refused
  std::vector<uint32_t> dirty_;          // connections with frames to write
  std::vector<uint32_t> to_close_;       // slow consumers found during fan-out
  std::vector<std::unique_ptr<ShardNsp>> nsps_;
  std::vector<std::unique_ptr<Socket>> graveyard_;  // disconnected sockets, freed between turns
  SharedFrame* ping_frame_ = nullptr;
  RefSlab slab_;                         // this shard's LocalRefs (send_queue.h entries)
  SendScratch scratch_;                  // sendmsg headers until the next submit

  uring::BufferRing recv_bufs_;          // multishot receives' buffers (group 0)

  TimerWheel wheel_;
  int64_t accept_rearm_ms_ = 0;
  int64_t now_ms_ = 0;
  ShardCounters counters_;
  PollingTable polling_;
  friend struct PollingOps;
  std::unique_ptr<BroadcastProfile> profile_ = std::make_unique<BroadcastProfile>();
  std::vector<LocalRef*> profiled_pending_;  // profiled frames waiting for this turn's submit

  LocalRef* new_ref(SharedFrame* f, uint32_t refs);
  void enqueue(uint32_t slot, Conn& c, LocalRef* ref, size_t size, size_t limit);
  void unref(LocalRef* r);
};

}  // namespace roomcast::detail
