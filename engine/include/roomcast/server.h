// roomcast: a Socket.IO v5 server on sharded io_uring event loops.
//
//   roomcast::Server server(config);
//   auto& chat = server.of("/chat");
//   chat.on_connection([](roomcast::Socket& s) { s.join("room1"); });
//   chat.on("message", [](roomcast::Socket& s, const roomcast::Args& args, roomcast::Ack) {
//     s.nsp().to("room1").emit_args("message", args.forward());
//   });
//   server.run();
//
// Threads: each shard is one thread that owns its connections. Handlers for a socket run on
// its shard. A Socket& is only valid inside that shard's handlers; to reach a socket from
// elsewhere, use its id (nsp.to(id).emit(...)). Namespace and Broadcast operations may be
// called from any thread.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "roomcast/args.h"
#include "roomcast/config.h"
#include "roomcast/faults.h"

namespace roomcast {

namespace detail {
class Shard;
class ServerCore;
struct Conn;
struct ShardNsp;
struct PendingAck;
namespace cluster {
class ClusterAdapter;
}
}  // namespace detail

class Server;
class Namespace;
class Socket;
class Ack;

// What the client sent when it connected. The request head is kept as received, in one
// string, and read on demand: a server holding 100k idle connections pays for it 100k
// times, and per-header strings cost several times the head's own size.
//   auto token = socket.handshake().query_param("token");
//   auto ua = socket.handshake().header("user-agent");
struct Handshake {
  std::string address;   // remote IP
  std::string head;      // request line and headers, up to and including the blank line
  int64_t issued_ms = 0; // when the handshake came, ms since the epoch (socket.io's `issued`)

  std::string_view url() const;    // request target, e.g. /socket.io/?EIO=4&transport=websocket
  std::string_view query() const;  // the query string of that target ('' if none)
  std::vector<std::pair<std::string_view, std::string_view>> headers() const;  // in order
  std::optional<std::string> header(std::string_view name) const;  // case-insensitive, first
  std::optional<std::string> query_param(std::string_view key) const;  // percent-decoded
};

// A socket as reported by fetch_sockets().
struct SocketInfo {
  std::string id;
  std::vector<std::string> rooms;
  unsigned shard = 0;
  std::string address;
  bool remote = false;  // on another node of the Redis cluster (shard is then meaningless)
};

// The cluster adapter's counters (Config::adapter, e.g. Redis pub/sub).
struct AdapterStats {
  bool connected = false;          // to the other nodes (e.g. to Redis)
  uint64_t published = 0;          // messages handed to the other nodes
  uint64_t publish_dropped = 0;    // outgoing queue full ("drop-newest") or lost in an outage
  uint64_t received = 0;           // broadcast messages from other nodes
  uint64_t delivered = 0;          // ...of which handed to the local fan-out
  uint64_t connection_losses = 0;
  uint64_t reconnects = 0;
  uint64_t server_side_sent = 0;      // serverSideEmit requests written (with or without ack)
  uint64_t server_side_handled = 0;   // serverSideEmit from other nodes given to a handler
  uint64_t server_side_refused = 0;   // with ack, over the bound of waiting calls
  uint64_t requests_answered = 0;     // answers sent to other nodes' requests
  uint64_t requests_timed_out = 0;    // our cluster requests that ended without every answer
};

// Counters, summed over shards.
struct Stats {
  uint64_t connections = 0;            // open Engine.IO connections now
  // Connection slots the shards hold: the most connections each shard has had open at once.
  // Slots are reused, never given back; a figure that keeps rising under a steady load leaks.
  uint64_t connection_slots = 0;
  uint64_t sockets = 0;                // connected namespace sockets now
  uint64_t accepted = 0;
  uint64_t refused_full = 0;           // accept refused: shard at max_connections
  uint64_t handshake_errors = 0;       // bad HTTP / upgrade requests
  uint64_t protocol_errors = 0;        // WebSocket / Engine.IO / Socket.IO violations
  uint64_t slow_consumer_disconnects = 0;
  uint64_t ping_timeouts = 0;
  uint64_t connect_timeouts = 0;
  uint64_t broadcasts = 0;             // broadcast tasks processed (per shard)
  uint64_t deliveries = 0;             // frames queued to recipients
  uint64_t bytes_sent = 0;
  uint64_t emits_refused = 0;          // emit refused: a shard queue was full
  // Calls handed from one thread to a shard that it refused (its queue full): an ack sent
  // from another thread, a polling request (answered 503), ... each with its fallback.
  uint64_t tasks_refused = 0;
  uint64_t handler_exceptions = 0;
  uint64_t frames_dropped = 0;         // a shard had max_frames_per_shard frames queued
  AdapterStats adapter;                // the cluster (Config::adapter); all zero without one
  // Broadcast::emit_with_ack, and the same requests from other nodes of the cluster.
  uint64_t broadcast_acks = 0;              // started
  uint64_t broadcast_ack_timeouts = 0;      // ended without every answer (timeout or member left)
  uint64_t broadcast_acks_refused = 0;      // 1024 waiting already ("refuse-new")
  uint64_t volatile_drops = 0;         // volatile emits skipped for a backed-up connection
  uint64_t connections_reset = 0;      // closed with a TCP reset (slow consumers)
  uint64_t close_lingers = 0;          // closes that drained the peer after the close frame
  uint64_t close_linger_bytes = 0;     // ...bytes read and discarded meanwhile
  uint64_t close_linger_limits = 0;    // ...ended at close_linger_ms or close_linger_bytes
  uint64_t refused_max_connections = 0;  // 503: max_connections(_per_shard) reached
  uint64_t refused_per_address = 0;      // 503: max_connections_per_address reached
  uint64_t accept_errors = 0;          // accept failed (EMFILE, ENFILE, ENOMEM...); retried
  uint64_t recv_buffers_exhausted = 0; // receive found the buffer ring empty; re-armed
  uint64_t submission_queue_full = 0;  // io_uring SQ full mid-turn: submitted early
  uint64_t submit_retries = 0;         // the kernel took no SQE (-EAGAIN); retried after 1 ms
  uint64_t io_cancelled = 0;           // receive/send/accept ended with ECANCELED (resets, stop)
  uint64_t faults[kFaultCount] = {};   // refused input by reason (roomcast/faults.h)
  uint64_t fault(Fault f) const { return faults[size_t(f)]; }
};

using EventHandler = std::function<void(Socket&, const Args&, Ack)>;
using ConnectionHandler = std::function<void(Socket&)>;
using DisconnectHandler = std::function<void(Socket&, std::string_view reason)>;
// Reply to an emit_with_ack: `timed_out` is true (and args empty) if no ack came in time.
using AckCallback = std::function<void(Socket&, bool timed_out, const Args&)>;
using FetchCallback = std::function<void(std::vector<SocketInfo>)>;
// The answers to Broadcast::emit_with_ack: one entry per client that answered, in arrival
// order, holding its ack's arguments (a client of a Node node gives its first argument only:
// Node's adapter forwards one). `timed_out`: some selected client did not answer in time,
// left before answering, or a node of the cluster did not report; `responses` then holds
// what did arrive (socket.io's err and responses).
using BroadcastAckCallback = std::function<void(bool timed_out, std::vector<Args> responses)>;

// Answers a middleware: call exactly once, from any thread, now or later.
class Next {
 public:
  void operator()() const { accept(); }
  void accept() const;
  // CONNECT_ERROR {"message": message, "data": <data_json>} (data omitted if empty).
  void refuse(std::string_view message, std::string_view data_json = {}) const;

 private:
  friend class detail::Shard;
  detail::Shard* shard_ = nullptr;
  uint32_t slot_ = 0, gen_ = 0, nsp_index_ = 0, step_ = 0;
  std::shared_ptr<std::atomic<bool>> done_;
};
// Runs before a socket joins its namespace; `s` is not connected yet (no rooms, no emits).
using Middleware = std::function<void(Socket& s, Next next)>;

// Sends the reply to an incoming event's ack id. Empty (false) if the client asked none.
// Copyable; the reply is sent once (later calls are ignored). Any thread.
class Ack {
 public:
  explicit operator bool() const { return shard_ != nullptr; }
  template <class... A>
  void operator()(A&&... args) const {
    Arg list[] = {Arg(std::forward<A>(args))..., Arg(RawJson{})};
    send(std::span<const Arg>(list, sizeof...(A)));
  }
  void send(std::span<const Arg> args) const;

 private:
  friend class detail::Shard;
  detail::Shard* shard_ = nullptr;
  uint32_t slot_ = 0, gen_ = 0;
  uint64_t id_ = 0;
  std::string nsp_;
  std::shared_ptr<std::atomic<bool>> done_;
};

// The answer to a server-side event from another node of the cluster (serverSideEmit with an
// acknowledgement in socket.io). Empty (false) when the sender asked for none. Node reads one
// value per node, so there is one: ack(value), or ack() for undefined. Copyable, any thread,
// while the server runs; the first call answers, later ones are ignored.
class ServerSideAck {
 public:
  explicit operator bool() const { return bool(reply_); }
  void operator()() const { send(nullptr); }
  void operator()(Arg value) const { send(&value); }

 private:
  friend class detail::cluster::ClusterAdapter;
  void send(const Arg* value) const {
    if (reply_ && !done_->exchange(true)) reply_(value);
  }
  std::function<void(const Arg*)> reply_;
  std::shared_ptr<std::atomic<bool>> done_;
};
using ServerSideHandler = std::function<void(const Args& args, ServerSideAck ack)>;
// The answers to server_side_emit_with_ack: responses[i] is one node's value (null for
// undefined). `timed_out`: not every other node answered in time (5 s, as Node's adapter)
// or Redis was unreachable; `responses` then holds the answers that did arrive.
using ServerSideCallback = std::function<void(bool timed_out, const Args& responses)>;

// A selection of sockets in one namespace: to/in(rooms) minus except(rooms).
// No rooms selected means every socket of the namespace.
class Broadcast {
 public:
  Broadcast& to(std::string_view room) { rooms_.emplace_back(room); return *this; }
  Broadcast& in(std::string_view room) { return to(room); }
  Broadcast& except(std::string_view room) { except_.emplace_back(room); return *this; }
  // socket.io's `volatile`: the message may be lost. A recipient whose send queue holds more
  // than Config::volatile_queue_bytes skips it (counted in Stats::volatile_drops) instead of
  // queueing it, so a lagging client is never disconnected for volatile traffic; everyone
  // else gets it as usual. For data that the next message supersedes (positions, tickers).
  Broadcast& volatile_() { is_volatile_ = true; return *this; }

  // Encodes the packet once and fans it out to every selected socket on every shard.
  // Returns false (and counts emits_refused) if a shard queue is full; nothing is sent then.
  template <class... A>
  bool emit(std::string_view event, A&&... args) const {
    Arg list[] = {Arg(std::forward<A>(args))..., Arg(RawJson{})};
    return emit_args(event, std::span<const Arg>(list, sizeof...(A)));
  }
  bool emit_args(std::string_view event, std::span<const Arg> args) const;
  bool emit_args(std::string_view event, const std::vector<Arg>& args) const {
    return emit_args(event, std::span<const Arg>(args));
  }

  // socket.io's io.timeout(ms).to(room).emit(event, ...args, (err, responses) => ...): the
  // packet carries one ack id, is encoded once and fanned out like emit(); `cb` gets every
  // selected client's answer, once all answered (across the Redis cluster: every node
  // reported its count and its clients answered), or at `timeout` with what came.
  //   nsp.to("room").emit_with_ack("ready?", args, [](bool timed_out, std::vector<Args> r) {
  //     ...
  //   }, std::chrono::seconds(2));
  // `cb` runs once, on the calling shard (from a handler) or on shard 0. A member that
  // disconnects first counts as not answering; socket.io would wait for the timeout, here
  // `cb` may run earlier. False if refused (a shard queue full, or 1024 such broadcasts
  // already waiting: Stats::broadcast_acks_refused); `cb` is then not called. Not volatile.
  bool emit_with_ack(std::string_view event, std::span<const Arg> args, BroadcastAckCallback cb,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

  void sockets_join(std::string_view room) const;
  void sockets_leave(std::string_view room) const;
  void disconnect_sockets(bool close_connection = false) const;
  // Collects the selected sockets from all shards; `cb` runs once, on the calling shard if
  // called from a handler, otherwise on one of the shards.
  void fetch_sockets(FetchCallback cb) const;

 private:
  friend class Namespace;
  friend class Socket;
  explicit Broadcast(Namespace* nsp) : nsp_(nsp) {}
  Namespace* nsp_;
  std::vector<std::string> rooms_;
  std::vector<std::string> except_;
  bool is_volatile_ = false;
};

// A namespace ("/", "/chat", ...). Created by Server::of(); lives as long as the server.
// Register handlers before Server::start() (or in a dynamic namespace's setup callback).
class Namespace {
 public:
  const std::string& name() const { return name_; }
  Server& server() const { return *server_; }

  Namespace& use(Middleware m) { middlewares_.push_back(std::move(m)); return *this; }
  Namespace& on_connection(ConnectionHandler h) { on_connection_.push_back(std::move(h)); return *this; }
  // A handler for `event` on every socket of this namespace (costs nothing per socket).
  Namespace& on(std::string event, EventHandler h) { handlers_[std::move(event)] = std::move(h); return *this; }

  Broadcast to(std::string_view room) { return Broadcast(this).to(room); }
  Broadcast in(std::string_view room) { return to(room); }
  Broadcast except(std::string_view room) { return Broadcast(this).except(room); }
  Broadcast all() { return Broadcast(this); }

  template <class... A>
  bool emit(std::string_view event, A&&... args) {
    return all().emit(event, std::forward<A>(args)...);
  }
  void sockets_join(std::string_view room) { all().sockets_join(room); }
  void sockets_leave(std::string_view room) { all().sockets_leave(room); }
  void disconnect_sockets(bool close_connection = false) { all().disconnect_sockets(close_connection); }
  void fetch_sockets(FetchCallback cb) { all().fetch_sockets(std::move(cb)); }

  // Server-side events between the nodes of a Redis cluster (socket.io's serverSideEmit):
  // never sent to clients, never to this node itself.
  //   nsp.on_server_side("ping", [](const Args& a, ServerSideAck ack) { if (ack) ack("pong"); });
  //   nsp.server_side_emit("ping", 1);
  // Handlers run on the cluster adapter's thread, one at a time, never on a shard: a slow
  // handler delays this node's cluster traffic but not its clients. Any thread, any time.
  Namespace& on_server_side(std::string event, ServerSideHandler h);
  // Sends `event` to the other nodes' handlers. Without Config::adapter there are no other
  // nodes and nothing happens. False if the name is reserved (connect, connect_error,
  // disconnect, disconnecting, newListener, removeListener), an argument is not valid JSON,
  // or the adapter's outgoing queue is full.
  template <class... A>
  bool server_side_emit(std::string_view event, A&&... args) {
    Arg list[] = {Arg(std::forward<A>(args))..., Arg(RawJson{})};
    return server_side_emit_args(event, std::span<const Arg>(list, sizeof...(A)));
  }
  bool server_side_emit_args(std::string_view event, std::span<const Arg> args);
  // Same, collecting one answer from each other node (expected: the subscribers of the
  // request channel minus this node, counted as Node counts them). `cb` runs once, on the
  // Redis adapter thread; without Redis, inside this call, with no responses. At most
  // 1024 calls wait at once: beyond, `cb` gets timed_out at once. When this returns false,
  // `cb` is not called.
  bool server_side_emit_with_ack(std::string_view event, std::span<const Arg> args, ServerSideCallback cb);

  Namespace(Server* server, std::string name, uint32_t index)
      : server_(server), name_(std::move(name)), index_(index) {}

 private:
  friend class Broadcast;
  friend class detail::Shard;
  friend class detail::cluster::ClusterAdapter;
  ServerSideHandler server_side_handler(std::string_view event) const;  // empty if none
  uint64_t next_broadcast_ack_id();  // one id per broadcast with acks, as socket.io's nsp._ids
  Server* server_;
  std::string name_;
  uint32_t index_;
  std::atomic<uint64_t> broadcast_ack_ids_{0};
  mutable std::mutex server_side_mu_;  // handlers may be added while the adapter reads them
  std::unordered_map<std::string, ServerSideHandler> server_side_handlers_;
  std::vector<Middleware> middlewares_;
  std::vector<ConnectionHandler> on_connection_;
  std::unordered_map<std::string, EventHandler> handlers_;
};

// One client's connection to one namespace. Owned by its shard; valid only on that shard
// while connected (handlers get it by reference; don't keep the reference).
class Socket {
 public:
  const std::string& id() const { return id_; }
  const Handshake& handshake() const;
  Namespace& nsp() const { return *nsp_; }
  unsigned shard() const;
  bool connected() const { return connected_; }
  // Raw JSON of the CONNECT payload for this namespace (socket.handshake.auth); "{}" if none.
  const std::string& auth() const { return auth_; }

  // A handler for this socket only; takes precedence over Namespace::on for the event.
  void on(std::string event, EventHandler h);
  void on_disconnect(DisconnectHandler h) { on_disconnect_.push_back(std::move(h)); }

  template <class... A>
  void emit(std::string_view event, A&&... args) {
    Arg list[] = {Arg(std::forward<A>(args))..., Arg(RawJson{})};
    emit_args(event, std::span<const Arg>(list, sizeof...(A)));
  }
  void emit_args(std::string_view event, std::span<const Arg> args);
  // Makes the next emit on this socket volatile (see Broadcast::volatile_):
  // s.volatile_().emit("pos", x, y) is skipped if the client is backed up.
  Socket& volatile_() { volatile_next_ = true; return *this; }
  // Emits with an ack id; `cb` runs on this shard with the client's reply, or with
  // timed_out = true after `timeout`.
  void emit_with_ack(std::string_view event, std::span<const Arg> args, AckCallback cb,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5));

  void join(std::string_view room);
  void leave(std::string_view room);
  std::vector<std::string> rooms() const;  // own id first

  // Everyone selected except this socket (socket.to(room).emit in socket.io).
  Broadcast to(std::string_view room) const { return Broadcast(nsp_).to(room).except(id_); }
  Broadcast broadcast() const { return Broadcast(nsp_).except(id_); }

  // Sends DISCONNECT to the client for this namespace; with close_connection, closes the
  // whole Engine.IO connection (every namespace on it).
  void disconnect(bool close_connection = false);

  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket();

 private:
  friend class detail::Shard;
  Socket(detail::Shard* shard, uint32_t slot, uint32_t gen, Namespace* nsp, std::string id);
  detail::Shard* shard_;
  uint32_t slot_, gen_;
  Namespace* nsp_;
  std::string id_;
  bool connected_ = false;
  std::string auth_;
  std::unique_ptr<std::unordered_map<std::string, EventHandler>> handlers_;
  std::vector<DisconnectHandler> on_disconnect_;
  std::unique_ptr<std::unordered_map<uint64_t, detail::PendingAck>> pending_acks_;
  uint64_t next_ack_id_ = 0;
  bool volatile_next_ = false;
};

// The server: namespaces, shards, lifecycle.
class Server {
 public:
  explicit Server(Config config = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The namespace named `name` ("/chat"), created on first use. Thread-safe.
  Namespace& of(std::string_view name);
  // Dynamic namespaces: a CONNECT to an unknown name that `match` accepts creates it, and
  // `setup` registers its handlers (once, before the first socket joins).
  void of_matching(std::function<bool(std::string_view name)> match,
                   std::function<void(Namespace&)> setup);

  void start();   // binds and starts the shard threads; throws std::runtime_error on failure
  void stop();    // asks every shard to close its connections and exit; any thread
  void wait();    // joins the shard threads
  void run() { start(); wait(); }

  uint16_t port() const;       // the bound port (after start)

  // Broadcast latency profile, stage by stage (see Config::profile_broadcasts), merged over
  // shards, as JSON. Profiling can be switched at run time; reset clears every shard's data.
  std::string latency_profile_json() const;
  void set_profiling(bool on);
  void reset_latency_profile();
  unsigned shard_count() const;
  Stats stats() const;
  const Config& config() const;

  // Internal.
  detail::ServerCore& core() { return *core_; }
  Namespace* find_or_create_namespace(std::string_view name);  // null if unknown

 private:
  std::unique_ptr<detail::ServerCore> core_;
};

}  // namespace roomcast
