// The bare Engine.IO endpoint: sessions whose messages go to Config::engine_io instead of
// the Socket.IO layer. Transports, heartbeat and limits are the shared session code's.
#include "roomcast/engine_io.h"

#include <cstring>

#include "server/server_core.h"
#include "loop/shard.h"
#include "proto/sio/wire_encode.h"
#include "proto/ws/ws_frame.h"

namespace roomcast {

namespace {

// Queues `f` (a frame, a reference taken over) on the connection, from any thread. New bytes
// (Submit::Work): at the queue bound they are dropped, counted and logged as tasks_refused,
// as a send to a connection already gone would be.
void send_on(detail::Shard* shard, detail::ConnId to, detail::SharedFrame* f) {
  if (!shard->core().run_on(shard->id(), [f, to](detail::Shard& s) { s.send_frame(to, f); }, detail::Submit::Work,
                            "engine.io send"))
    f->release();
}

}  // namespace

unsigned EngineConnection::shard() const { return shard_ ? shard_->index() : 0; }

void EngineConnection::send(std::string_view text) const {
  if (!shard_) return;
  std::string packet;
  packet.reserve(text.size() + 1);
  packet.push_back('4');
  packet.append(text);
  detail::SharedFrame* f = detail::encode_text(packet);
  send_on(shard_, detail::ConnId{slot_, gen_}, f);
}

void EngineConnection::send_binary(std::span<const uint8_t> bytes) const {
  if (!shard_) return;
  detail::SharedFrame* f = detail::SharedFrame::create(ws::header_size(bytes.size()) + bytes.size());
  size_t h = ws::encode_header(ws::Opcode::Binary, bytes.size(), f->mutable_data());
  if (!bytes.empty()) std::memcpy(f->mutable_data() + h, bytes.data(), bytes.size());
  send_on(shard_, detail::ConnId{slot_, gen_}, f);
}

void EngineConnection::close() const {
  if (!shard_) return;
  const detail::ConnId to{slot_, gen_};
  // A close must not be lost to the bound (Submit::Answer: one per connection at most
  // matters); refused only when the queue cannot grow, counted and logged there.
  (void)shard_->core().run_on(shard_->id(), [to](detail::Shard& s) {
    if (detail::Conn* c = s.conn_if(to); c && c->state == detail::ConnState::Open)
      s.close_conn(to.slot, *c, ws::close_code::kNormal, detail::CloseReason::ForcedClose);
  }, detail::Submit::Answer, "engine.io close");
}

namespace detail {

struct EngineAccess {
  static EngineConnection make(Shard* shard, uint32_t slot, const Conn& c) {
    EngineConnection h;
    h.shard_ = shard;
    h.slot_ = slot;
    h.gen_ = c.gen;
    h.id_ = *c.engine_sid;
    return h;
  }
};

namespace {
EngineConnection handle(Shard* shard, uint32_t slot, const Conn& c) { return EngineAccess::make(shard, slot, c); }
}  // namespace

bool Shard::engine_path(std::string_view path) const {
  const std::string& p = core_.config().engine_io_path;
  return !p.empty() && path == p;
}

void Shard::engine_opened(uint32_t slot, Conn& c, std::string sid) {
  c.engine_sid = std::make_unique<std::string>(std::move(sid));
  c.open_deadline_ms = 0;  // no namespace to join, so no connect timeout
  const auto& h = core_.config().engine_io;
  if (!h.on_open) return;
  guarded("engine.io open handler", [&] { h.on_open(handle(this, slot, c)); });
}

void Shard::engine_message(uint32_t slot, Conn& c, std::string_view data, bool binary) {
  const auto& h = core_.config().engine_io;
  if (!h.on_message) return;
  guarded("engine.io message handler", [&] { h.on_message(handle(this, slot, c), data, binary); });
}

void Shard::engine_closed(uint32_t slot, Conn& c, CloseReason reason) {
  const auto& h = core_.config().engine_io;
  if (!h.on_close) return;
  guarded("engine.io close handler", [&] { h.on_close(handle(this, slot, c), to_string(reason)); });
}

}  // namespace detail
}  // namespace roomcast
