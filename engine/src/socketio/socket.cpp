// The public, Socket.IO-shaped API: Socket, Broadcast, Ack, Next, Handshake.
// Each call ends up on the owning shard: inline when already there, else as a posted task.
#include <cassert>
#include <mutex>

#include "proto/http/http_request.h"
#include "cluster/adapter.h"
#include "server/server_core.h"
#include "loop/shard.h"
#include "proto/sio/wire_encode.h"

namespace roomcast {

using detail::Shard;
using detail::SharedFrame;

// ---------------------------------------------------------------- Handshake

namespace {
// The head was validated when the connection was accepted, so it parses again; a
// default-constructed Handshake (no connection) has an empty head and no fields.
http::Request parse_head(const std::string& head) {
  http::Request req;
  if (http::parse_request(head, req, head.size()).status != http::ParseStatus::Complete) return {};
  return req;
}
}  // namespace

std::string_view Handshake::url() const { return parse_head(head).target; }
std::string_view Handshake::query() const { return parse_head(head).query; }

std::vector<std::pair<std::string_view, std::string_view>> Handshake::headers() const {
  http::Request req = parse_head(head);
  std::vector<std::pair<std::string_view, std::string_view>> out;
  out.reserve(req.header_count);
  for (size_t i = 0; i < req.header_count; ++i) out.emplace_back(req.headers[i].name, req.headers[i].value);
  return out;
}

std::optional<std::string> Handshake::header(std::string_view name) const {
  auto v = parse_head(head).header(name);
  return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
}

std::optional<std::string> Handshake::query_param(std::string_view key) const {
  return http::query_param(query(), key);
}

// ---------------------------------------------------------------- Socket

Socket::Socket(Shard* shard, uint32_t slot, uint32_t gen, Namespace* nsp, std::string id)
    : shard_(shard), slot_(slot), gen_(gen), nsp_(nsp), id_(std::move(id)) {}

Socket::~Socket() = default;

const Handshake& Socket::handshake() const {
  static const Handshake empty;
  detail::Conn* c = shard_->conn_if(detail::ConnId{slot_, gen_});
  return c && c->handshake ? *c->handshake : empty;
}

unsigned Socket::shard() const { return shard_->index(); }

void Socket::on(std::string event, EventHandler h) {
  if (!handlers_) handlers_ = std::make_unique<std::unordered_map<std::string, EventHandler>>();
  (*handlers_)[std::move(event)] = std::move(h);
}

void Socket::emit_args(std::string_view event, std::span<const Arg> args) {
  shard_->assert_on_thread();
  const bool is_volatile = std::exchange(volatile_next_, false);
  if (!connected_) return;
  if (is_volatile) {
    detail::Conn* c = shard_->conn_if(detail::ConnId{slot_, gen_});
    if (!c || shard_->skip_volatile(*c, 0)) return;
  }
  shard_->socket_emit(*this, detail::encode_event(nsp_->name(), event, args));
}

void Socket::emit_with_ack(std::string_view event, std::span<const Arg> args, AckCallback cb,
                           std::chrono::milliseconds timeout) {
  shard_->assert_on_thread();
  if (!connected_) return;
  uint64_t id = next_ack_id_++;
  if (!pending_acks_) pending_acks_ = std::make_unique<std::unordered_map<uint64_t, detail::PendingAck>>();
  (*pending_acks_)[id] = detail::PendingAck{std::move(cb), shard_->now_ms() + timeout.count()};
  shard_->socket_emit(*this, detail::encode_event(nsp_->name(), event, args, id));
  shard_->reschedule(slot_);
}

// The socket's own shard only (debug builds check): rooms live in the shard's tables.
void Socket::join(std::string_view room) {
  shard_->assert_on_thread();
  shard_->socket_join(*this, room);
}
void Socket::leave(std::string_view room) {
  shard_->assert_on_thread();
  shard_->socket_leave(*this, room);
}
std::vector<std::string> Socket::rooms() const {
  shard_->assert_on_thread();
  return shard_->socket_rooms(*this);
}

void Socket::disconnect(bool close_connection) {
  shard_->assert_on_thread();
  shard_->socket_disconnect(*this, close_connection, detail::CloseReason::ServerNamespaceDisconnect, true);
}

// ---------------------------------------------------------------- Ack / Next
// These may be called from any thread (an answer computed elsewhere): ServerCore::run_on.

void Ack::send(std::span<const Arg> args) const {
  if (!shard_ || done_->exchange(true)) return;
  SharedFrame* frame = detail::encode_ack(nsp_, id_, args);
  const detail::ConnId to{slot_, gen_};
  // New bytes for the client (Submit::Work): refused at the bound, the reply is dropped
  // (counted and logged as tasks_refused) and the client's own ack timeout answers it.
  if (!shard_->core().run_on(shard_->id(), [frame, to](Shard& s) { s.send_frame(to, frame); },
                             detail::Submit::Work, "ack reply"))
    frame->release();
}

// A middleware's verdict ends a connect the shard already holds open (Submit::Answer):
// refused only when the queue cannot grow (counted and logged), and then the connect
// timeout ends that socket.
void Next::accept() const {
  if (!shard_ || done_->exchange(true)) return;
  const detail::ConnId to{slot_, gen_};
  auto nsp = nsp_index_, step = step_;
  (void)shard_->core().run_on(shard_->id(), [=](Shard& s) { s.middleware_done(to, nsp, step, true, {}, {}); },
                              detail::Submit::Answer, "middleware verdict");
}

void Next::refuse(std::string_view message, std::string_view data_json) const {
  if (!shard_ || done_->exchange(true)) return;
  const detail::ConnId to{slot_, gen_};
  auto nsp = nsp_index_, step = step_;
  (void)shard_->core().run_on(shard_->id(), [=, m = std::string(message), d = std::string(data_json)](Shard& s) {
    s.middleware_done(to, nsp, step, false, m, d);
  }, detail::Submit::Answer, "middleware verdict");
}

// ---------------------------------------------------------------- Broadcast

bool Broadcast::emit_args(std::string_view event, std::span<const Arg> args) const {
  auto& core = nsp_->server().core();
  const bool profile = core.profiling.load(std::memory_order_relaxed);
  const int64_t t_emit = profile ? detail::mono_ns() : 0;
  SharedFrame* frame = detail::encode_event(nsp_->name(), event, args, std::nullopt, core.shard_count());
  const int64_t t_encoded = profile ? detail::mono_ns() : 0;
  if (!core.dispatch(nsp_->index_, frame, rooms_, except_, t_emit, t_encoded, is_volatile_)) return false;
  core.adapter().broadcast(nsp_->name(), event, args, rooms_, except_);
  return true;
}

void Broadcast::sockets_join(std::string_view room) const {
  uint32_t idx = nsp_->index_;
  nsp_->server().core().on_every_shard([idx, rooms = rooms_, except = except_, r = std::string(room)](Shard& sh) {
    sh.for_each_selected(idx, rooms, except, [&](Socket& s) { sh.socket_join(s, r); });
  });
  nsp_->server().core().adapter().rooms_op(nsp_->name(), true, rooms_, except_, room);
}

void Broadcast::sockets_leave(std::string_view room) const {
  uint32_t idx = nsp_->index_;
  nsp_->server().core().on_every_shard([idx, rooms = rooms_, except = except_, r = std::string(room)](Shard& sh) {
    sh.for_each_selected(idx, rooms, except, [&](Socket& s) { sh.socket_leave(s, r); });
  });
  nsp_->server().core().adapter().rooms_op(nsp_->name(), false, rooms_, except_, room);
}

void Broadcast::disconnect_sockets(bool close_connection) const {
  uint32_t idx = nsp_->index_;
  nsp_->server().core().on_every_shard([idx, rooms = rooms_, except = except_, close_connection](Shard& sh) {
    sh.for_each_selected(idx, rooms, except, [&](Socket& s) {
      sh.socket_disconnect(s, close_connection, detail::CloseReason::ServerNamespaceDisconnect, true);
    });
  });
  nsp_->server().core().adapter().disconnect(nsp_->name(), rooms_, except_, close_connection);
}

namespace {
struct FetchState {
  std::mutex mu;
  std::vector<SocketInfo> found;
  unsigned left;
  FetchCallback cb;
  Shard* origin;
};
}  // namespace

void Broadcast::fetch_sockets(FetchCallback cb) const {
  auto& core = nsp_->server().core();
  // In a cluster, the local result then waits for the other nodes' answers.
  cb = core.adapter().fetch(nsp_->name(), rooms_, except_, std::move(cb));
  auto st = std::make_shared<FetchState>();
  st->left = core.shard_count();
  st->cb = std::move(cb);
  st->origin = Shard::current();
  uint32_t idx = nsp_->index_;
  bool ok = core.on_every_shard([idx, rooms = rooms_, except = except_, st](Shard& sh) {
    std::vector<SocketInfo> mine;
    sh.for_each_selected(idx, rooms, except, [&](Socket& s) {
      mine.push_back(SocketInfo{s.id(), s.rooms(), sh.index(), s.handshake().address});
    });
    bool last;
    {
      std::lock_guard lock(st->mu);
      for (auto& m : mine) st->found.push_back(std::move(m));
      last = --st->left == 0;
    }
    if (!last) return;
    if (st->origin && st->origin != &sh) {
      // The caller's callback waits for this (Submit::Answer): only an enqueue that cannot
      // allocate refuses it, and then it runs here rather than never.
      if (!sh.core().submit_to(st->origin->id(), [st](Shard&) { st->cb(std::move(st->found)); },
                               detail::Submit::Answer, "fetch_sockets result"))
        st->cb(std::move(st->found));
    } else {
      st->cb(std::move(st->found));
    }
  });
  if (!ok) st->cb({});
}

}  // namespace roomcast
