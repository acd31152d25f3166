// Engine.IO long-polling sessions and their upgrade to WebSocket (see polling.h).
//
// Every request for an existing session goes to the owning shard as a task, even when
// that is the shard it arrived on: answers then never run inside the parser that is
// still reading the request, and one path is tested for both cases.
#include <strings.h>

#include <cstring>

#include "proto/http/cors.h"
#include "proto/eio/eio_payload.h"
#include "proto/http/http_request.h"
#include "util/ids.h"
#include "util/json_text.h"
#include "server/server_core.h"
#include "loop/shard.h"
#include "proto/sio/sio_packet.h"
#include "proto/sio/wire_encode.h"

namespace roomcast::detail {

namespace {

constexpr char kSidAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
// A server-initiated close waits this long for the client's next GET to carry the close
// packet; the reference keeps the session until that GET as well.
constexpr int64_t kCloseLingerMs = 1000;
// Bytes a connection may send while its previous request is still being answered
// (clients don't pipeline; anything beyond one more request is abuse).
constexpr size_t kHeldBytesLimit = 16384;

int sid_digit(char ch) {
  const char* p = std::strchr(kSidAlphabet, ch);
  return (ch != '\0' && p) ? int(p - kSidAlphabet) : -1;
}

std::string eio_error_json(int code, std::string_view message) {
  std::string body = "{\"code\":" + std::to_string(code) + ",\"message\":";
  json::append_string(body, message);
  body += "}";
  return body;
}

// Unlike http::response, a polling response normally keeps the connection: clients
// reuse it for the next GET or POST.
std::string http_reply(int status, std::string_view content_type, std::string_view body, bool keep_alive,
                       std::string_view extra_headers = {}) {
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + std::string(http::reason_phrase(status)) + "\r\n";
  if (!content_type.empty()) r.append("Content-Type: ").append(content_type).append("\r\n");
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (!keep_alive) r += "Connection: close\r\n";
  r += extra_headers;
  r += "\r\n";
  r += body;
  return r;
}

std::string eio_error_reply(int code, std::string_view message, bool keep_alive, std::string_view extra = {}) {
  return http_reply(code == 4 ? 403 : 400, "application/json", eio_error_json(code, message), keep_alive, extra);
}

constexpr std::string_view kTextPlain = "text/plain; charset=UTF-8";

bool wants_keep_alive(const http::Request& req) {
  if (req.minor_version < 1) return false;
  for (size_t i = 0; i < req.header_count; ++i) {
    std::string_view n = req.headers[i].name;
    if (n.size() != 10 || strncasecmp(n.data(), "connection", 10) != 0) continue;
    std::string_view v = req.headers[i].value;
    if (v.size() == 5 && strncasecmp(v.data(), "close", 5) == 0) return false;
  }
  return true;
}

// Closes that the server starts leave the close packet for the client's next GET;
// the others end the session at once, so later requests get "Session ID unknown".
bool server_initiated(CloseReason reason) { return reason == CloseReason::ServerNamespaceDisconnect; }

}  // namespace

std::string mint_sid(unsigned shard) {
  std::string sid = random_id();
  sid[0] = kSidAlphabet[(shard >> 6) & 63];
  sid[1] = kSidAlphabet[shard & 63];
  return sid;
}

std::optional<unsigned> shard_of_sid(std::string_view sid, unsigned shard_count) {
  if (sid.size() != 20) return std::nullopt;
  int hi = sid_digit(sid[0]), lo = sid_digit(sid[1]);
  if (hi < 0 || lo < 0) return std::nullopt;
  unsigned shard = unsigned(hi) * 64 + unsigned(lo);
  if (shard >= shard_count) return std::nullopt;
  return shard;
}

// Private helpers with access to the shard's internals.
struct PollingOps {
  // Runs f on shard `to` as a task (also when it is this shard, see the file comment).
  // Requests are Submit::Work (refused at the bound: the caller answers 503 or closes);
  // what the owner sends back, and news of a connection gone, is Submit::Answer, since a
  // request already taken must be answered.
  template <class F>
  static bool run_on(Shard& self, ShardId to, F&& f, Submit kind, std::string_view what) {
    return self.core_.submit_to(to, std::forward<F>(f), kind, what);
  }

  static void answer(Shard& self, ConnRef to, PollAnswer a) {
    if (!run_on(self, to.shard, [to, a](Shard& s) { s.polling_answer(to.conn, a); }, Submit::Answer,
                "polling answer") && a.bytes)
      a.bytes->release();
  }

  static void answer_http(Shard& self, ConnRef to, std::string_view response, bool keep_alive) {
    PollAnswer a;
    a.kind = PollAnswer::Http;
    a.bytes = SharedFrame::copy_of(response);
    a.keep_alive = keep_alive;
    answer(self, to, a);
  }

  // A response written on this shard's own connection `slot`.
  static void respond_local(Shard& self, uint32_t slot, Conn& c, std::string_view response, bool keep_alive) {
    self.queue_frame(slot, c, SharedFrame::copy_of(response));
    finish_response(self, slot, c, keep_alive);
  }

  static void finish_response(Shard& self, uint32_t slot, Conn& c, bool keep_alive) {
    if (!keep_alive) {
      c.state = ConnState::Closing;
      c.http_in.clear();
      c.close_after_flush = true;
      c.open_deadline_ms = self.now_ms_ + 1000;
      self.reschedule(slot);
      return;
    }
    // Idle keep-alive connection: the handshake timeout bounds the wait for the next request.
    c.open_deadline_ms = self.now_ms_ + self.core_.config().handshake_timeout_ms;
    self.reschedule(slot);
    if (!c.http_in.empty()) {  // a request already sent behind the answered one
      const ConnId id{slot, c.gen};
      const bool queued = run_on(self, self.id(), [id](Shard& s) {
        Conn* cc = s.conn_if(id);
        if (cc && cc->state == ConnState::Http && !(cc->polling && cc->polling->waiting))
          s.on_http(id.slot, *cc, {});
      }, Submit::Work, "pipelined polling request");
      // Refused: the connection ends after this answer; the client sends the request again
      // on a new one, as after any close.
      if (!queued) finish_response(self, slot, c, false);
    }
  }

  static Conn* find_session(Shard& self, const std::string& sid, uint32_t& slot) {
    auto it = self.polling_.sids.find(sid);
    if (it == self.polling_.sids.end()) return nullptr;
    Conn* c = self.conn_if(it->second);
    if (!c || !c->polling || c->polling->role != PollRole::Session) return nullptr;
    slot = it->second.slot;
    return c;
  }

  // Looks the session up and applies any deadline already passed (ping timeout, connect
  // timeout), whatever the timer wheel's granularity: a session past its deadline is gone.
  static Conn* live_session(Shard& self, const std::string& sid, uint32_t& slot) {
    Conn* c = find_session(self, sid, slot);
    if (c && c->state == ConnState::Open) {
      self.on_timer(slot, *c);
      c = find_session(self, sid, slot);
    }
    return c;
  }

  // The session a GET or POST is for, or null after answering the request's error itself:
  // unknown (or expired) sid 400 code 1; a session already upgraded to WebSocket 400 code 3.
  static Conn* request_session(Shard& self, const std::string& sid, ConnRef from, bool keep_alive,
                               const std::string& headers, uint32_t& slot) {
    Conn* c = live_session(self, sid, slot);
    if (!c) {
      answer_http(self, from, eio_error_reply(1, "Session ID unknown", keep_alive, headers), keep_alive);
      return nullptr;
    }
    if (c->polling->upgrade == UpgradeState::Upgraded) {
      answer_http(self, from, eio_error_reply(3, "Bad request", keep_alive, headers), keep_alive);
      return nullptr;
    }
    return c;
  }

  static void free_session(Shard& self, uint32_t slot, Conn& c) {
    auto it = self.polling_.sids.find(c.polling->sid);
    if (it != self.polling_.sids.end() && it->second == ConnId{slot, c.gen})
      self.polling_.sids.erase(it);
    self.release_queue(c);
    c.state = ConnState::Closing;
    c.fd_closing = c.fd_closed = true;  // there is no socket to shut down
    self.maybe_free(slot, c);
  }

  static void answer_get(Shard& self, PollingConn& p, std::string_view payload) {
    ConnRef to = *p.get;
    p.get.reset();
    answer_http(self, to, http_reply(200, kTextPlain, payload, p.get_keep_alive, p.get_headers), p.get_keep_alive);
  }

  static void relay_out(Shard& self, ConnRef ws, std::vector<SharedFrame*> frames, uint16_t close_code) {
    bool ok = run_on(self, ws.shard, [ws, frames, close_code](Shard& s) {
      s.polling_relay_out(ws.conn, frames, close_code);
    }, Submit::Answer, "polling relay frames");
    if (!ok)
      for (SharedFrame* f : frames) f->release();
  }

  // The session keeps the request head as received (Handshake reads it on demand).
  static std::unique_ptr<Handshake> handshake_of(const Conn& c, size_t head_bytes) {
    auto hs = std::make_unique<Handshake>();
    hs->address = c.peer;
    hs->head = c.http_in.substr(0, head_bytes);
    hs->issued_ms = wall_ms();
    return hs;
  }

  static void create_session(Shard& self, uint32_t slot, Conn& c, std::unique_ptr<Handshake> hs, bool keep_alive,
                             const std::string& cors) {
    const Config& cfg = self.core_.config();
    // Slots in use, not free ones, decide: the shard keeps a few slots beyond the bound for
    // answering refused TCP connections (shard_admission.cpp), and once those are freed a
    // session must not take them.
    if (self.conns_.size() - self.free_slots_.size() >= cfg.max_connections_per_shard) {
      self.counters_.refused_full.add();
      respond_local(self, slot, c, http_reply(503, "text/plain", "Service Unavailable", false), false);
      return;
    }
    const uint32_t vslot = self.take_slot();
    Conn& v = *self.conns_[vslot];
    ++v.gen;
    v.state = ConnState::Open;
    v.peer = c.peer;
    v.handshake = std::move(hs);
    v.polling = std::make_unique<PollingConn>();
    v.polling->role = PollRole::Session;
    v.polling->sid = mint_sid(self.index_);
    v.next_ping_ms = self.now_ms_ + cfg.ping_interval_ms;
    v.open_deadline_ms = self.now_ms_ + cfg.connect_timeout_ms;
    const std::string_view url = v.handshake->url();  // parses the kept head: once
    if (self.engine_path(url.substr(0, url.find('?'))))
      self.engine_opened(vslot, v, v.polling->sid);
    ++self.open_conns_;
    self.counters_.accepted.add();
    self.counters_.connections.add();
    self.polling_.sids[v.polling->sid] = ConnId{vslot, v.gen};
    self.reschedule(vslot);
    std::string open = sio::encode_eio_open(v.polling->sid, true, cfg.ping_interval_ms, cfg.ping_timeout_ms,
                                            cfg.max_payload);
    respond_local(self, slot, c, http_reply(200, kTextPlain, open, keep_alive, cors), keep_alive);
  }
};

// ---------------------------------------------------------------- the request's shard

bool Shard::polling_http(uint32_t slot, Conn& c, const http::Request& req, size_t head_bytes) {
  const Config& cfg = core_.config();
  auto transport = http::query_param(req.query, "transport");
  auto sid = http::query_param(req.query, "sid");
  const bool keep_alive = wants_keep_alive(req);
  const bool preflight = req.method == "OPTIONS";
  http::CorsResult cors = http::cors(cfg.cors_origins, cfg.cors_credentials, req, preflight);
  if (!cors.allowed) {
    counters_.handshake_errors.add();
    log("refused origin " + std::string(*req.header("origin")) + " from " + c.peer);
    c.http_in.clear();
    PollingOps::respond_local(*this, slot, c, eio_error_reply(4, "Forbidden", false), false);
    return true;
  }
  if (*transport == "websocket" && !sid) return false;  // a plain WebSocket session: session.cpp
  const size_t body_len = size_t(req.content_length.value_or(0));
  if (body_len > cfg.max_payload) {
    counters_.protocol_errors.add();
    PollingOps::respond_local(*this, slot, c, http_reply(413, "", "", false), false);
    return true;
  }
  if (c.http_in.size() < head_bytes + body_len) return true;  // the rest of the body is on its way

  auto refuse = [&](int code, std::string_view message) {
    counters_.handshake_errors.add();
    c.http_in.erase(0, head_bytes + body_len);
    PollingOps::respond_local(*this, slot, c, eio_error_reply(code, message, keep_alive, cors.headers), keep_alive);
    return true;
  };
  if (preflight && !cfg.cors_origins.empty()) {
    c.http_in.erase(0, head_bytes + body_len);
    PollingOps::respond_local(*this, slot, c, http_reply(204, "", "", keep_alive, cors.headers), keep_alive);
    return true;
  }
  if (!sid) {
    if (req.method != "GET") return refuse(2, "Bad handshake method");
    auto hs = PollingOps::handshake_of(c, head_bytes);  // copied: `req` points into http_in
    c.http_in.erase(0, head_bytes + body_len);
    PollingOps::create_session(*this, slot, c, std::move(hs), keep_alive, cors.headers);
    return true;
  }
  auto owner_index = shard_of_sid(*sid, core_.shard_count());
  if (!owner_index) return refuse(1, "Session ID unknown");
  const ShardId owner{*owner_index};
  std::string method(req.method);
  if (*transport == "websocket") {
    http::UpgradeCheck up = http::check_websocket_upgrade(req);
    if (up.http_status != 0) return refuse(3, "Bad request");
    if (!c.polling) c.polling = std::make_unique<PollingConn>();
    c.polling->ws_key = std::string(up.key);
  } else if (method != "GET" && method != "POST") {
    c.http_in.erase(0, head_bytes + body_len);
    PollingOps::respond_local(*this, slot, c, http_reply(500, "", "", keep_alive, cors.headers), keep_alive);
    return true;
  }
  if (!c.polling) c.polling = std::make_unique<PollingConn>();
  PollingConn& p = *c.polling;
  p.role = PollRole::Client;
  p.sid = *sid;
  p.owner = owner;
  p.keep_alive = keep_alive && *transport == "polling";
  std::string body = c.http_in.substr(head_bytes, body_len);
  c.http_in.erase(0, head_bytes + body_len);
  const ConnRef from{id(), ConnId{slot, c.gen}};
  std::string s = *sid;
  bool queued;
  if (*transport == "websocket")
    queued = PollingOps::run_on(*this, owner, [s, from](Shard& o) { o.polling_ws_open(s, from); }, Submit::Work,
                                "polling upgrade");
  else if (method == "GET")
    queued = PollingOps::run_on(*this, owner, [s, from, keep_alive, h = std::move(cors.headers)](Shard& o) mutable {
      o.polling_get(s, from, keep_alive, std::move(h));
    }, Submit::Work, "polling GET");
  else
    queued = PollingOps::run_on(*this, owner, [s, from, keep_alive, b = std::move(body), h = std::move(cors.headers)](Shard& o) mutable {
      o.polling_post(s, from, keep_alive, std::move(b), std::move(h));
    }, Submit::Work, "polling POST");
  if (!queued) {  // the owner's task queue is at its bound: the client may retry later
    PollingOps::respond_local(*this, slot, c, http_reply(503, "text/plain", "Service Unavailable", false), false);
    return true;
  }
  p.waiting = true;
  c.open_deadline_ms = 0;  // a held GET waits as long as the owner says
  return true;
}

bool Shard::polling_hold_bytes(uint32_t slot, Conn& c, std::span<uint8_t> data) {
  if (c.polling->role != PollRole::Client || !c.polling->waiting) return false;
  if (c.http_in.size() + data.size() > kHeldBytesLimit) {
    counters_.protocol_errors.add();
    log("too many bytes sent ahead of an answer from " + c.peer);
    close_conn(slot, c, 0, CloseReason::RequestOverflow);
    return true;
  }
  c.http_in.append(reinterpret_cast<const char*>(data.data()), data.size());
  return true;
}

void Shard::polling_answer(ConnId id, PollAnswer a) {
  const uint32_t slot = id.slot;
  Conn* c = conn_if(id);
  if (!c || c->state != ConnState::Http || !c->polling || c->polling->role != PollRole::Client ||
      !c->polling->waiting) {
    if (a.bytes) a.bytes->release();
    return;
  }
  PollingConn& p = *c->polling;
  p.waiting = false;
  if (a.kind == PollAnswer::Http) {
    queue_frame(slot, *c, a.bytes);
    PollingOps::finish_response(*this, slot, *c, a.keep_alive && p.keep_alive);
    return;
  }
  // The owner accepted the upgrade: this connection becomes the session's WebSocket.
  queue_frame(slot, *c, SharedFrame::copy_of(http::upgrade_response(p.ws_key)));
  c->state = ConnState::Open;
  c->parser = std::make_unique<ws::Parser>(core_.config().max_payload);
  c->next_ping_ms = 0;       // the owner runs the heartbeat
  c->open_deadline_ms = 0;
  p.role = PollRole::Relay;
  p.session = a.session;
  p.ws_key.clear();
  if (a.kind == PollAnswer::WsAcceptThenClose) {
    close_conn(slot, *c, ws::close_code::kNormal, CloseReason::UpgradeRefused);
    return;
  }
  std::string rest = std::move(c->http_in);
  c->http_in.clear();
  if (!rest.empty()) on_bytes(slot, *c, std::span<uint8_t>(reinterpret_cast<uint8_t*>(rest.data()), rest.size()));
}

bool Shard::polling_relay_in(uint32_t slot, Conn& c, const ws::Message& m) {
  PollingConn& p = *c.polling;
  if (p.role != PollRole::Relay) return false;
  if (m.opcode != ws::Opcode::Text && m.opcode != ws::Opcode::Binary) return false;  // ping, close: here
  const ConnRef from{id(), ConnId{slot, c.gen}};
  const ConnId session = p.session;
  ws::Opcode op = m.opcode;
  std::string payload(reinterpret_cast<const char*>(m.payload.data()), m.payload.size());
  // A client message is new work for the owner (Submit::Work). Refused, it would be lost
  // and the session out of step with the client: the relay closes, so the client reconnects.
  if (!PollingOps::run_on(*this, p.owner, [=, b = std::move(payload)](Shard& o) mutable {
        o.polling_ws_in(session, from, op, std::move(b));
      }, Submit::Work, "polling relay message"))
    close_conn(slot, c, ws::close_code::kGoingAway, CloseReason::TransportError);
  return true;
}

void Shard::polling_relay_out(ConnId id, std::vector<SharedFrame*> frames, uint16_t close_code) {
  const uint32_t slot = id.slot;
  Conn* c = conn_if(id);
  if (!c || c->state != ConnState::Open) {
    for (SharedFrame* f : frames) f->release();
    return;
  }
  for (SharedFrame* f : frames) queue_frame(slot, *c, f);
  if (close_code) close_conn(slot, *c, close_code, CloseReason::ServerClose);
}

// ---------------------------------------------------------------- the owning shard

void Shard::polling_get(std::string sid, ConnRef from, bool keep_alive, std::string headers) {
  uint32_t slot = 0;
  Conn* c = PollingOps::request_session(*this, sid, from, keep_alive, headers, slot);
  if (!c) return;
  PollingConn& p = *c->polling;
  if (p.get) {  // two GETs at once: the reference ends the session
    counters_.protocol_errors.add();
    PollingOps::answer_http(*this, from, http_reply(400, "", "", keep_alive, headers), keep_alive);
    close_conn(slot, *c, ws::close_code::kNormal, CloseReason::TransportError);
    return;
  }
  p.get = from;
  p.get_keep_alive = keep_alive;
  p.get_headers = std::move(headers);
  if (c->state == ConnState::Open && p.upgrade == UpgradeState::Probing && p.probed) {
    PollingOps::answer_get(*this, p, "6");  // let the client pause polling
    return;
  }
  polling_flush(slot, *c);
}

void Shard::polling_post(std::string sid, ConnRef from, bool keep_alive, std::string body, std::string headers) {
  uint32_t slot = 0;
  Conn* c = PollingOps::request_session(*this, sid, from, keep_alive, headers, slot);
  if (!c) return;
  PollingConn& p = *c->polling;
  PollingOps::answer_http(*this, from, http_reply(200, "text/html", "ok", keep_alive, headers), keep_alive);
  if (c->state != ConnState::Open) return;  // closing: what the client says no longer matters
  std::vector<eio::PayloadPacket> packets;
  eio::PayloadError err = eio::decode_payload(body, packets);
  if (err != eio::PayloadError::None) {
    counters_.protocol_errors.add();
    log(std::string("polling payload error (") + eio::to_string(err) + ") from " + c->peer);
    close_conn(slot, *c, ws::close_code::kNormal, CloseReason::ParseError);
    return;
  }
  const ConnId session{slot, c->gen};
  for (auto& pk : packets) {
    c = conn_if(session);
    if (!c || c->state != ConnState::Open) return;
    if (!pk.binary && pk.text == "1") {  // the client ends the session: a held GET gets a noop
      if (c->polling->get) PollingOps::answer_get(*this, *c->polling, "6");
      close_conn(slot, *c, 0, CloseReason::TransportClose);
      return;
    }
    if (pk.binary) {
      ws::Message m;
      m.opcode = ws::Opcode::Binary;
      m.payload = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(pk.bytes.data()), pk.bytes.size());
      on_ws_message(slot, *c, m);
    } else {
      on_eio_text(slot, *c, pk.text);
    }
  }
}

void Shard::polling_ws_open(std::string sid, ConnRef from) {
  uint32_t slot = 0;
  Conn* c = PollingOps::live_session(*this, sid, slot);
  if (!c || c->state != ConnState::Open)
    return PollingOps::answer_http(*this, from, eio_error_reply(1, "Session ID unknown", false), false);
  PollingConn& p = *c->polling;
  PollAnswer a;
  a.session = ConnId{slot, c->gen};
  if (p.upgrade != UpgradeState::None) {  // already upgrading or upgraded: this one is closed
    a.kind = PollAnswer::WsAcceptThenClose;
    PollingOps::answer(*this, from, a);
    return;
  }
  p.upgrade = UpgradeState::Probing;
  p.probed = false;
  p.ws = from;
  p.upgrade_deadline_ms = now_ms_ + core_.config().upgrade_timeout_ms;
  reschedule(slot);
  a.kind = PollAnswer::WsAccept;
  PollingOps::answer(*this, from, a);
}

void Shard::polling_ws_in(ConnId session, ConnRef from, ws::Opcode op, std::string payload) {
  const uint32_t vslot = session.slot;
  Conn* c = conn_if(session);
  if (!c || c->state != ConnState::Open || !c->polling || c->polling->role != PollRole::Session ||
      c->polling->upgrade == UpgradeState::None || !(c->polling->ws == from)) {
    PollingOps::relay_out(*this, from, {}, ws::close_code::kNormal);  // a WebSocket nobody owns
    return;
  }
  PollingConn& p = *c->polling;
  if (p.upgrade == UpgradeState::Probing) {
    if (op == ws::Opcode::Text && payload == "2probe") {
      PollingOps::relay_out(*this, p.ws, {encode_text("3probe")}, 0);
      p.probed = true;
      if (p.get) PollingOps::answer_get(*this, p, "6");
      return;
    }
    if (op == ws::Opcode::Text && payload == "5") {
      p.upgrade = UpgradeState::Upgraded;
      p.upgrade_deadline_ms = 0;
      if (p.get) PollingOps::answer_get(*this, p, "6");
      polling_flush(vslot, *c);  // what polling had not delivered yet goes on the WebSocket
      return;
    }
    counters_.protocol_errors.add();  // anything else: the upgrade fails, polling goes on
    PollingOps::relay_out(*this, p.ws, {}, ws::close_code::kNormal);
    p.upgrade = UpgradeState::None;
    p.upgrade_deadline_ms = 0;
    return;
  }
  ws::Message m;
  m.opcode = op;
  m.payload = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
  on_ws_message(vslot, *c, m);
}

void Shard::polling_conn_gone(std::string sid, ConnRef who) {
  uint32_t slot = 0;
  Conn* c = PollingOps::find_session(*this, sid, slot);
  if (!c) return;
  PollingConn& p = *c->polling;
  if (p.get && *p.get == who) {  // the client gave up its GET: the reference ends the session
    p.get.reset();
    if (c->state == ConnState::Open) close_conn(slot, *c, 0, CloseReason::TransportError);
    else PollingOps::free_session(*this, slot, *c);
    return;
  }
  if (p.upgrade != UpgradeState::None && p.ws == who) {
    if (p.upgrade == UpgradeState::Upgraded) {
      if (c->state == ConnState::Open) close_conn(slot, *c, 0, CloseReason::TransportClose);
    } else {
      p.upgrade = UpgradeState::None;
      p.upgrade_deadline_ms = 0;
    }
  }
}

void Shard::polling_flush(uint32_t slot, Conn& c) {
  PollingConn& p = *c.polling;
  if (p.upgrade == UpgradeState::Upgraded) {
    if (c.q.empty()) return;
    std::vector<SharedFrame*> frames;
    frames.reserve(c.q.size());
    for (uint32_t i = 0; i < c.q.size(); ++i) {
      SharedFrame* f = c.q.at(i)->frame;
      f->add_refs(1);
      frames.push_back(f);
    }
    release_queue(c);
    PollingOps::relay_out(*this, p.ws, std::move(frames), 0);
    return;
  }
  if (!p.get || c.q.empty()) return;
  std::string payload;
  for (uint32_t i = 0; i < c.q.size(); ++i)
    if (!eio::append_server_frames(payload, c.q.at(i)->frame->bytes())) {
      counters_.protocol_errors.add();
      log("polling: a queued frame is not a server frame");
    }
  release_queue(c);
  if (payload.empty()) payload = "6";
  PollingOps::answer_get(*this, p, payload);
  if (c.state == ConnState::Closing) PollingOps::free_session(*this, slot, c);
}

bool Shard::polling_closing(uint32_t slot, Conn& c, bool graceful, uint16_t code, CloseReason reason) {
  PollingConn& p = *c.polling;
  if (p.role == PollRole::Client || p.role == PollRole::Relay) {
    if (p.role == PollRole::Relay || p.waiting) {
      const ConnRef who{id(), ConnId{slot, c.gen}};
      std::string sid = p.sid;
      // Submit::Answer: the owner must learn it (a held GET, an upgrade). Refused only when
      // the queue cannot grow (counted and logged); the session's heartbeat then ends it.
      (void)PollingOps::run_on(*this, p.owner, [sid, who](Shard& o) { o.polling_conn_gone(sid, who); },
                               Submit::Answer, "polling connection gone");
      p.waiting = false;
    }
    return false;  // the connection itself closes as any other
  }
  if (p.upgrade == UpgradeState::Upgraded) {
    polling_flush(slot, c);
    PollingOps::relay_out(*this, p.ws, {}, graceful ? code : ws::close_code::kNormal);
    PollingOps::free_session(*this, slot, c);
    return true;
  }
  if (p.upgrade == UpgradeState::Probing) PollingOps::relay_out(*this, p.ws, {}, ws::close_code::kNormal);
  p.upgrade = UpgradeState::None;
  p.upgrade_deadline_ms = 0;
  if (graceful) queue_frame(slot, c, encode_text("1"));
  if (p.get) {
    polling_flush(slot, c);  // answers and frees
    return true;
  }
  if (graceful && server_initiated(reason)) {
    c.open_deadline_ms = now_ms_ + kCloseLingerMs;
    reschedule(slot);
    return true;
  }
  PollingOps::free_session(*this, slot, c);
  return true;
}

bool Shard::polling_timer(uint32_t slot, Conn& c) {
  PollingConn& p = *c.polling;
  if (p.role != PollRole::Session) return false;
  if (c.state == ConnState::Closing) {
    if (c.open_deadline_ms && now_ms_ >= c.open_deadline_ms) PollingOps::free_session(*this, slot, c);
    return true;
  }
  if (p.upgrade == UpgradeState::Probing && p.upgrade_deadline_ms && now_ms_ >= p.upgrade_deadline_ms) {
    PollingOps::relay_out(*this, p.ws, {}, ws::close_code::kNormal);
    p.upgrade = UpgradeState::None;
    p.upgrade_deadline_ms = 0;
  }
  return false;  // heartbeat, connect timeout and acks as for any session
}

}  // namespace roomcast::detail
