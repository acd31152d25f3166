// What happens on a connection: HTTP upgrade, WebSocket messages, Engine.IO heartbeat,
// Socket.IO namespaces and packets. Calls the pure codecs; queues frames through the shard.
#include <cstring>

#include "proto/http/http_request.h"
#include "util/ids.h"
#include "util/json_text.h"
#include "server/server_core.h"
#include "loop/shard.h"
#include "proto/sio/sio_attachments.h"
#include "proto/sio/sio_packet.h"
#include "proto/sio/wire_encode.h"

namespace roomcast::detail {

namespace {

std::string eio_error_body(int code, std::string_view message) {
  std::string body = "{\"code\":" + std::to_string(code) + ",\"message\":";
  json::append_string(body, message);
  body += "}";
  return body;
}

}  // namespace

// ---------------------------------------------------------------- bytes in

void Shard::on_bytes(uint32_t slot, Conn& c, std::span<uint8_t> data) {
  if (c.state == ConnState::Http) {
    on_http(slot, c, data);
    return;
  }
  ws::Message m;
  while (c.state == ConnState::Open) {
    ws::Status st = c.parser->next(data, m);
    if (st == ws::Status::NeedMore) break;
    if (st == ws::Status::Error) {
      const uint16_t code = c.parser->error_code();
      count_fault(counters_, code == ws::close_code::kTooBig         ? Fault::WsTooBig
                             : code == ws::close_code::kInvalidPayload ? Fault::WsInvalidUtf8
                                                                       : Fault::WsProtocol);
      log("websocket protocol error " + std::to_string(c.parser->error_code()) + " from " + c.peer);
      close_conn(slot, c, c.parser->error_code(), CloseReason::ParseError);
      break;
    }
    on_ws_message(slot, c, m);
  }
}

void Shard::on_http(uint32_t slot, Conn& c, std::span<uint8_t> data) {
  if (c.polling && polling_hold_bytes(slot, c, data)) return;
  const Config& cfg = core_.config();
  c.http_in.append(reinterpret_cast<const char*>(data.data()), data.size());
  http::Request req;
  http::ParseResult pr = http::parse_request(c.http_in, req, 8192);
  if (pr.status == http::ParseStatus::Incomplete) return;
  if (c.refusal && refuse_if_over_limit(slot, c)) return;

  auto fail = [&](Fault why, int status, std::string_view ctype, std::string_view body,
                  std::string_view extra = {}) {
    count_fault(counters_, why);
    log("handshake refused (" + std::to_string(status) + ") from " + c.peer + ": " + std::string(body));
    send_and_close(slot, c, http::response(status, ctype, body, extra));
  };
  auto eio_fail = [&](int code, std::string_view message, Fault why = Fault::EioHandshake) {
    fail(why, 400, "application/json", eio_error_body(code, message));
  };

  if (pr.status == http::ParseStatus::Error) return fail(pr.http_status == 431 ? Fault::HttpHeadersTooLarge : Fault::HttpMalformed, pr.http_status,
                "text/plain", http::reason_phrase(pr.http_status));
  // 501, not Node's 400: the request is well-formed, only its method is one no HTTP server
  // implements, which RFC 9110 9.1 answers with 501 (Node's 400 comes from llhttp failing
  // the parse on its fixed method table, not from a choice). Checked before the path so
  // every URL answers it alike, the Engine.IO path included.
  if (!http::known_method(req.method))
    return fail(Fault::HttpUnknownMethod, 501, "text/plain", "Not Implemented: unknown request method");
  const bool engine_only = engine_path(req.path);
  if (req.path != cfg.path && !engine_only && serve_static(slot, c, req, pr.head_bytes)) return;
  if (req.path != cfg.path && !engine_only) return fail(Fault::HttpNotFound, 404, "text/plain", "Not Found");
  auto transport = http::query_param(req.query, "transport");
  auto eio = http::query_param(req.query, "EIO");
  if (!transport || (*transport != "websocket" && *transport != "polling")) return eio_fail(0, "Transport unknown");
  if (!eio || *eio != "4") return eio_fail(5, "Unsupported protocol version");
  if (polling_http(slot, c, req, pr.head_bytes)) return;  // polling, and upgrades of polling sessions
  if (req.method != "GET") return eio_fail(2, "Bad handshake method");
  http::UpgradeCheck up = http::check_websocket_upgrade(req);
  if (up.http_status == 426) return fail(Fault::WsBadVersion, 426, "text/plain", up.reason, "Sec-WebSocket-Version: 13\r\n");
  if (up.http_status != 0) return eio_fail(3, "Bad request", Fault::WsBadUpgrade);

  auto hs = std::make_unique<Handshake>();
  hs->address = c.peer;
  hs->head = c.http_in.substr(0, pr.head_bytes);
  hs->issued_ms = wall_ms();
  c.handshake = std::move(hs);

  std::string sid = random_id();
  std::string open = sio::encode_eio_open(sid, false, cfg.ping_interval_ms, cfg.ping_timeout_ms, cfg.max_payload);
  std::string resp = http::upgrade_response(up.key);
  SharedFrame* f = SharedFrame::create(resp.size() + ws::header_size(open.size()) + open.size());
  std::memcpy(f->mutable_data(), resp.data(), resp.size());
  size_t h = ws::encode_header(ws::Opcode::Text, open.size(), f->mutable_data() + resp.size());
  std::memcpy(f->mutable_data() + resp.size() + h, open.data(), open.size());
  queue_frame(slot, c, f);

  c.state = ConnState::Open;
  c.parser = std::make_unique<ws::Parser>(cfg.max_payload);
  c.next_ping_ms = now_ms_ + cfg.ping_interval_ms;
  c.open_deadline_ms = now_ms_ + cfg.connect_timeout_ms;
  if (engine_only) engine_opened(slot, c, std::move(sid));
  reschedule(slot);

  // Bytes after the request head already belong to the WebSocket stream.
  std::string rest = c.http_in.substr(pr.head_bytes);
  c.http_in.clear();
  c.http_in.shrink_to_fit();
  if (!rest.empty()) on_bytes(slot, c, std::span<uint8_t>(reinterpret_cast<uint8_t*>(rest.data()), rest.size()));
}

void Shard::on_ws_message(uint32_t slot, Conn& c, const ws::Message& m) {
  if (c.polling && polling_relay_in(slot, c, m)) return;
  // A pong (or anything) after the deadline must not count, even when it is read in the
  // same loop turn as the deadline passes, before the wheel fires it.
  if (c.pong_deadline_ms && now_ms_ >= c.pong_deadline_ms) {
    on_timer(slot, c);
    if (c.state != ConnState::Open) return;
  }
  switch (m.opcode) {
    case ws::Opcode::Text:
      on_eio_text(slot, c, std::string_view(reinterpret_cast<const char*>(m.payload.data()), m.payload.size()));
      break;
    case ws::Opcode::Binary: {
      if (c.engine_sid) {
        engine_message(slot, c, std::string_view(reinterpret_cast<const char*>(m.payload.data()), m.payload.size()), true);
        break;
      }
      PendingBinary done;
      sio::AssemblyStep st = sio::assemble_binary(c.pending_binary, m.payload, done);
      if (st.status == sio::AssemblyStatus::Error) {
        count_fault(counters_, Fault::SioUnexpectedBinary);
        log("unexpected binary message from " + c.peer);
        close_conn(slot, c, ws::close_code::kNormal, CloseReason::ParseError);
        return;
      }
      if (st.status == sio::AssemblyStatus::Complete) dispatch_packet(slot, c, done);
      break;
    }
    case ws::Opcode::Ping: {
      std::string pong = ws::encode_frame(ws::Opcode::Pong,
          std::string_view(reinterpret_cast<const char*>(m.payload.data()), m.payload.size()));
      queue_frame(slot, c, SharedFrame::copy_of(pong));
      break;
    }
    case ws::Opcode::Close: {
      uint16_t code = m.close_code == ws::close_code::kNoStatus ? ws::close_code::kNormal : m.close_code;
      close_conn(slot, c, code, CloseReason::TransportClose);
      break;
    }
    default:
      break;
  }
}

void Shard::on_eio_text(uint32_t slot, Conn& c, std::string_view text) {
  auto p = sio::parse_eio_text(text);
  if (!p) {
    count_fault(counters_, Fault::EioMalformed);
    close_conn(slot, c, ws::close_code::kProtocolError, CloseReason::ParseError);
    return;
  }
  switch (p->type) {
    case sio::EioType::Message:
      if (c.engine_sid) {
        engine_message(slot, c, p->data, false);
        break;
      }
      on_sio_packet(slot, c, p->data);
      break;
    case sio::EioType::Pong:
      c.pong_deadline_ms = 0;
      c.next_ping_ms = now_ms_ + core_.config().ping_interval_ms;
      reschedule(slot);
      break;
    case sio::EioType::Close:
      close_conn(slot, c, ws::close_code::kNormal, CloseReason::TransportClose);
      break;
    default:  // a client ping is the wrong heartbeat direction in v4; upgrade/noop don't apply
      count_fault(counters_, Fault::EioUnexpected);
      log("unexpected Engine.IO packet type from " + c.peer);
      close_conn(slot, c, ws::close_code::kProtocolError, CloseReason::ParseError);
      break;
  }
}

void Shard::on_sio_packet(uint32_t slot, Conn& c, std::string_view text) {
  PendingBinary pb;
  sio::AssemblyStep st = sio::assemble_text(c.pending_binary, text, core_.config().max_attachments, pb);
  if (st.status == sio::AssemblyStatus::Error) {
    if (st.error == sio::AssemblyError::MissingAttachments) {  // a text packet while attachments are due
      count_fault(counters_, Fault::SioMissingAttachments);
      close_conn(slot, c, ws::close_code::kNormal, CloseReason::ParseError);
      return;
    }
    const sio::DecodeError err = st.decode;
    count_fault(counters_, err == sio::DecodeError::BadAckId             ? Fault::SioBadAckId
                           : err == sio::DecodeError::TooManyAttachments ? Fault::SioTooManyAttachments
                           : err == sio::DecodeError::ReservedEventName  ? Fault::SioReservedEvent
                                                                         : Fault::SioMalformed);
    log(std::string("Socket.IO parse error (") + sio::to_string(err) + ") from " + c.peer);
    close_conn(slot, c, ws::close_code::kNormal, CloseReason::ParseError);
    return;
  }
  if (st.status == sio::AssemblyStatus::Complete) dispatch_packet(slot, c, pb);
}

Socket* Shard::socket_of(Conn& c, uint32_t nsp_index) {
  for (auto& s : c.sockets)
    if (s->nsp_->index_ == nsp_index) return s.get();
  return nullptr;
}

void Shard::dispatch_packet(uint32_t slot, Conn& c, PendingBinary& p) {
  Socket* s = nullptr;
  for (auto& x : c.sockets)
    if (x->nsp_->name() == p.nsp) s = x.get();
  auto type = sio::Type(p.type);
  if (type == sio::Type::Connect) {
    if (s) {  // a second CONNECT for a namespace: the reference server drops the client
      count_fault(counters_, Fault::SioDuplicateConnect);
      close_conn(slot, c, ws::close_code::kNormal, CloseReason::ParseError);
      return;
    }
    connect_namespace(slot, c, p.nsp, p.data);
    return;
  }
  if (!s || !s->connected_ || type == sio::Type::ConnectError) {
    count_fault(counters_, Fault::SioNotConnected);
    log("packet for a namespace not connected (" + p.nsp + ") from " + c.peer);
    close_conn(slot, c, ws::close_code::kNormal, CloseReason::ParseError);
    return;
  }
  switch (type) {
    case sio::Type::Event:
    case sio::Type::BinaryEvent: {
      auto args = Args::from_array(std::move(p.data), 1, std::move(p.attachments));
      if (!args) return;
      // The event name is the array's first element: a string, or a number (spec allows it).
      std::string_view head = args->skipped_head();
      auto lit = json::parse_string(head);
      std::string name = lit ? *lit : std::string(head);
      Ack ack;
      if (p.ack_id) {
        ack.shard_ = this;
        ack.slot_ = slot;
        ack.gen_ = c.gen;
        ack.id_ = *p.ack_id;
        ack.nsp_ = p.nsp;
        ack.done_ = std::make_shared<std::atomic<bool>>(false);
      }
      const EventHandler* h = nullptr;
      if (s->handlers_) {
        auto it = s->handlers_->find(name);
        if (it != s->handlers_->end()) h = &it->second;
      }
      if (!h) {
        auto it = s->nsp_->handlers_.find(name);
        if (it != s->nsp_->handlers_.end()) h = &it->second;
      }
      if (h) call_handler(*s, *h, *args, ack);
      break;
    }
    case sio::Type::Ack:
    case sio::Type::BinaryAck: {
      if (!p.ack_id || !s->pending_acks_) return;
      auto it = s->pending_acks_->find(*p.ack_id);
      if (it == s->pending_acks_->end()) return;
      AckCallback cb = std::move(it->second.cb);
      s->pending_acks_->erase(it);
      auto args = Args::from_array(std::move(p.data), 0, std::move(p.attachments));
      if (!args) return;
      guarded("ack callback", [&] { cb(*s, false, *args); });
      break;
    }
    case sio::Type::Disconnect:
      socket_disconnect(*s, false, CloseReason::ClientNamespaceDisconnect, false);
      break;
    default:
      break;
  }
}

void Shard::call_handler(Socket& s, const EventHandler& h, const Args& args, Ack ack) {
  guarded("handler", [&] { h(s, args, std::move(ack)); });
}

// ---------------------------------------------------------------- namespaces

void Shard::connect_namespace(uint32_t slot, Conn& c, std::string_view nsp_name, std::string_view auth) {
  Namespace* ns = core_.find_or_create(nsp_name);
  if (!ns) {
    send_text(slot, c, "4" + sio::encode_connect_error(nsp_name, "Invalid namespace"));
    return;
  }
  auto sock = std::unique_ptr<Socket>(new Socket(this, slot, c.gen, ns, random_id()));
  sock->auth_ = auth.empty() ? "{}" : std::string(auth);
  Socket& s = *sock;
  c.sockets.push_back(std::move(sock));
  if (ns->middlewares_.empty())
    finish_connect(slot, c, &s);
  else
    run_middleware(slot, c, s, 0);
}

void Shard::run_middleware(uint32_t slot, Conn& c, Socket& s, uint32_t step) {
  Next next;
  next.shard_ = this;
  next.slot_ = slot;
  next.gen_ = c.gen;
  next.nsp_index_ = s.nsp_->index_;
  next.step_ = step;
  next.done_ = std::make_shared<std::atomic<bool>>(false);
  std::string why;
  if (!guarded("middleware", [&] { s.nsp_->middlewares_[step](s, next); }, &why))
    next.refuse(why.empty() ? "server error" : why);
}

void Shard::middleware_done(ConnId id, uint32_t nsp_index, uint32_t step, bool accepted, std::string message,
                            std::string data_json) {
  const uint32_t slot = id.slot;
  Conn* c = conn_if(id);
  if (!c || c->state != ConnState::Open) return;
  Socket* s = socket_of(*c, nsp_index);
  if (!s || s->connected_) return;
  if (!accepted) {
    send_text(slot, *c, "4" + sio::encode_connect_error(s->nsp_->name(), message, data_json));
    for (auto& x : c->sockets)
      if (x.get() == s) {
        graveyard_.push_back(std::move(x));
        x = std::move(c->sockets.back());
        c->sockets.pop_back();
        break;
      }
    return;
  }
  if (step + 1 < s->nsp_->middlewares_.size())
    run_middleware(slot, *c, *s, step + 1);
  else
    finish_connect(slot, *c, s);
}

void Shard::finish_connect(uint32_t slot, Conn& c, Socket* s) {
  nsp_state(s->nsp_->index_).rooms.add_member(slot, s->id_);
  s->connected_ = true;
  c.ever_connected = true;
  c.open_deadline_ms = 0;  // the connect timeout is met
  counters_.sockets.add();
  send_text(slot, c, "4" + sio::encode_connect_ok(s->nsp_->name(), s->id_));
  for (auto& h : s->nsp_->on_connection_) {
    guarded("connection handler", [&] { h(*s); });
    if (!s->connected_) break;
  }
}

void Shard::socket_join(Socket& s, std::string_view room) {
  if (s.connected_) nsp_state(s.nsp_->index_).rooms.join(s.slot_, room);
}

void Shard::socket_leave(Socket& s, std::string_view room) {
  if (s.connected_) nsp_state(s.nsp_->index_).rooms.leave(s.slot_, room);
}

std::vector<std::string> Shard::socket_rooms(const Socket& s) {
  if (!s.connected_) return {};
  return nsp_state(s.nsp_->index_).rooms.rooms_of(s.slot_);
}

void Shard::socket_emit(Socket& s, SharedFrame* frame) {
  Conn* c = s.connected_ ? conn_if(ConnId{s.slot_, s.gen_}) : nullptr;
  if (!c) {
    frame->release();
    return;
  }
  queue_frame(s.slot_, *c, frame);
}

void Shard::socket_disconnect(Socket& s, bool close_connection, CloseReason reason, bool notify_client) {
  Conn* c = conn_if(ConnId{s.slot_, s.gen_});
  if (!s.connected_ || !c) return;
  uint32_t slot = s.slot_;
  if (notify_client) send_text(slot, *c, "4" + sio::encode_disconnect(s.nsp_->name()));
  // As socket.io: leave every room first, then tell the handlers.
  nsp_state(s.nsp_->index_).rooms.remove_member(slot);
  s.connected_ = false;
  counters_.sockets.sub();
  end_broadcast_acks(s);
  const std::string_view why = to_string(reason);
  for (auto& h : s.on_disconnect_) {
    guarded("disconnect handler", [&] { h(s, why); });
  }
  // The Socket may still be on the caller's stack (a handler calling disconnect()):
  // it is freed between loop turns, not here.
  for (auto& x : c->sockets)
    if (x.get() == &s) {
      graveyard_.push_back(std::move(x));
      x = std::move(c->sockets.back());
      c->sockets.pop_back();
      break;
    }
  if (close_connection) close_conn(slot, *c, ws::close_code::kNormal, reason);
}

void Shard::disconnect_sockets_of(uint32_t slot, Conn& c, CloseReason reason) {
  while (!c.sockets.empty()) {
    Socket& s = *c.sockets.back();
    if (s.connected_) {
      socket_disconnect(s, false, reason, false);
    } else {  // still in middleware
      graveyard_.push_back(std::move(c.sockets.back()));
      c.sockets.pop_back();
    }
  }
  (void)slot;
}

void Shard::for_each_selected(uint32_t nsp_index, const std::vector<std::string>& rooms,
                              const std::vector<std::string>& except, const std::function<void(Socket&)>& f) {
  std::vector<std::string_view> r(rooms.begin(), rooms.end()), e(except.begin(), except.end());
  std::vector<uint32_t> slots;
  // Collect first: f may change the very rooms being walked.
  nsp_state(nsp_index).rooms.for_each_recipient(r, e, [&](uint32_t slot) { slots.push_back(slot); });
  for (uint32_t slot : slots) {
    Conn& c = *conns_[slot];
    if (c.state != ConnState::Open) continue;
    if (Socket* s = socket_of(c, nsp_index); s && s->connected_) f(*s);
  }
}

// ---------------------------------------------------------------- closing and timers

void Shard::send_text(uint32_t slot, Conn& c, std::string_view eio_text) {
  queue_frame(slot, c, encode_text(eio_text));
}

void Shard::close_conn(uint32_t slot, Conn& c, uint16_t code, CloseReason reason) {
  if (c.state == ConnState::Closing || c.state == ConnState::Free) return;
  bool was_open = c.state == ConnState::Open;
  if (c.engine_sid && was_open) engine_closed(slot, c, reason);
  disconnect_sockets_of(slot, c, reason);
  c.pending_binary.reset();
  c.parser.reset();
  c.http_in.clear();
  c.http_in.shrink_to_fit();
  c.state = ConnState::Closing;
  if (c.polling && polling_closing(slot, c, was_open && code != 0, code, reason)) return;
  if (was_open && code != 0 && !c.slow) {
    // Close handshake: what is queued goes first, then the close frame, then shutdown.
    queue_frame(slot, c, SharedFrame::copy_of(ws::encode_close(code)));
    c.close_after_flush = true;
    // Not while stopping: the shard is about to exit and would wait for every peer's FIN.
    c.linger_after_flush = core_.config().close_linger_ms > 0 && !stopping_;
    c.open_deadline_ms = now_ms_ + 1000;  // a peer that stops reading doesn't hold us
    reschedule(slot);
  } else {
    if (!c.send_inflight) release_queue(c);
    begin_close(slot, c);
  }
}

void Shard::on_timer(uint32_t slot, Conn& c) {
  const Config& cfg = core_.config();
  const int64_t now = now_ms_;
  if (c.polling && polling_timer(slot, c)) return;
  if (c.state == ConnState::Http) {
    if (c.open_deadline_ms && now >= c.open_deadline_ms) {
      count_fault(counters_, Fault::HandshakeTimeout);
      close_conn(slot, c, 0, CloseReason::HandshakeTimeout);
    }
    return;
  }
  if (c.state == ConnState::Closing) {
    if (c.open_deadline_ms && now >= c.open_deadline_ms) {
      if (c.lingering) counters_.close_linger_limits.add();
      c.close_after_flush = false;
      c.lingering = false;
      begin_close(slot, c);
    }
    return;
  }
  if (c.open_deadline_ms && now >= c.open_deadline_ms) {
    counters_.connect_timeouts.add();
    log("connect timeout: " + c.peer);
    close_conn(slot, c, ws::close_code::kNormal, CloseReason::ConnectTimeout);
    return;
  }
  if (c.pong_deadline_ms) {
    if (now >= c.pong_deadline_ms) {
      counters_.ping_timeouts.add();
      close_conn(slot, c, ws::close_code::kNormal, CloseReason::PingTimeout);
      return;
    }
  } else if (c.next_ping_ms && now >= c.next_ping_ms) {
    if (!c.send_inflight) c.q.shrink_if_idle();
    if (!ping_frame_) ping_frame_ = SharedFrame::immortal(ws::encode_frame(ws::Opcode::Text, "2"));
    queue_frame(slot, c, ping_frame_);
    c.pong_deadline_ms = now + cfg.ping_timeout_ms;
  }
  // Acks that ran out of time.
  for (size_t i = 0; i < c.sockets.size(); ++i) {
    Socket* s = c.sockets[i].get();
    if (!s->pending_acks_) continue;
    std::vector<uint64_t> expired;
    for (auto& [id, p] : *s->pending_acks_)
      if (now >= p.deadline_ms) expired.push_back(id);
    for (uint64_t id : expired) {
      auto it = s->pending_acks_->find(id);
      if (it == s->pending_acks_->end()) continue;
      AckCallback cb = std::move(it->second.cb);
      s->pending_acks_->erase(it);
      guarded("ack callback", [&] { cb(*s, true, Args()); });
      if (c.state != ConnState::Open) return;
    }
  }
}

}  // namespace roomcast::detail
