// The worker's protocol side: received bytes to WebSocket frames to Engine.IO / Socket.IO
// packets (parsed in place in the receive buffer), the set-up state machine, measured
// messages, and publishing.
#include <algorithm>
#include <cstring>

#include "client_frame.h"
#include "handshake.h"
#include "sio_client.h"
#include "worker.h"

namespace roomcast::bench {

namespace {
constexpr uint64_t kJoinAckId = 1;
// A publisher whose whole window went missing would wait forever: after this long without
// getting any of its own messages back it forgets them (counted in `stalls`).
constexpr uint64_t kStallNs = 5'000'000'000ull;
}  // namespace

void Worker::feed(uint32_t i, std::string_view data) {
  Conn& c = conns_[i];
  if (c.state == CState::Upgrading) {
    c.carry.append(data);
    const handshake::Result r = handshake::parse_response(c.carry, c.accept);
    if (r.status == handshake::Status::Incomplete) return;
    if (r.status == handshake::Status::Error) {
      std::string why = "WebSocket upgrade: ";
      why.append(r.problem);
      if (r.http_status) why += " (HTTP " + std::to_string(r.http_status) + ")";
      fail(i, why);
      return;
    }
    c.state = CState::WaitOpen;
    c.accept.clear();
    if (opt_.raw) {  // no Engine.IO / Socket.IO set-up: join right away
      connect_hist_.record(now_ - c.t_start);
      send_text(i, "join " + RoomPlan::name(c.room));
      c.state = CState::WaitJoin;
    }
    std::string rest = c.carry.substr(r.head_bytes);
    c.carry.clear();
    std::string_view v = rest;
    if (feed_frames(i, v) && !v.empty()) c.carry.assign(v);
    return;
  }
  if (c.carry.empty()) {
    // The common case: whole frames in the receive buffer, handled where they lie.
    std::string_view v = data;
    if (feed_frames(i, v) && !v.empty()) c.carry.assign(v);
    return;
  }
  c.carry.append(data);
  std::string_view v = c.carry;
  if (feed_frames(i, v)) c.carry.erase(0, c.carry.size() - v.size());
}

bool Worker::feed_frames(uint32_t i, std::string_view& data) {
  Conn& c = conns_[i];
  while (!data.empty()) {
    wsc::ServerFrame f;
    size_t used = 0;
    const wsc::FrameStatus st = wsc::parse_server_frame(data, f, used);
    if (st == wsc::FrameStatus::NeedMore) return true;
    if (st == wsc::FrameStatus::Error) {
      fail(i, "invalid WebSocket frame from the server");
      return false;
    }
    data.remove_prefix(used);
    on_frame(i, uint8_t(f.op), f.payload, f.fin);
    if (c.state == CState::Dead) return false;
  }
  return true;
}

void Worker::on_frame(uint32_t i, uint8_t op, std::string_view payload, bool fin) {
  Conn& c = conns_[i];
  switch (wsc::Op(op)) {
    case wsc::Op::Text:
    case wsc::Op::Binary:
      if (!fin) {  // servers rarely fragment; reassemble in the connection's own buffer
        c.frag.assign(payload);
        c.frag_text = wsc::Op(op) == wsc::Op::Text;
        return;
      }
      if (wsc::Op(op) == wsc::Op::Text) on_text(i, payload);
      return;
    case wsc::Op::Continuation:
      c.frag.append(payload);
      if (fin) {
        std::string whole;
        whole.swap(c.frag);
        if (c.frag_text) on_text(i, whole);
      }
      return;
    case wsc::Op::Ping:
      wsc::append_masked(c.out, wsc::Op::Pong, payload, mask_key());
      mark_dirty(i);
      return;
    case wsc::Op::Close: {
      std::string why = "server sent a WebSocket close";
      if (payload.size() >= 2)
        why += " (code " + std::to_string((uint8_t(payload[0]) << 8) | uint8_t(payload[1])) + ")";
      fail(i, why);
      return;
    }
    default:
      return;
  }
}

void Worker::send_text(uint32_t i, std::string_view text) {
  wsc::append_masked(conns_[i].out, wsc::Op::Text, text, mask_key());
  mark_dirty(i);
}

void Worker::become_ready(Conn& c) {
  c.state = CState::Ready;
  c.was_ready = true;
  --pending_;
  ++ctr_.conns_ready;
}

void Worker::on_raw_text(uint32_t i, std::string_view text) {
  Conn& c = conns_[i];
  if (c.state == CState::WaitJoin) {
    if (text != "ok") {
      fail(i, "join was answered with '" + std::string(text.substr(0, 100)) + "' instead of 'ok'");
      return;
    }
    become_ready(c);
    return;
  }
  payload::Stamp s;
  if (payload::parse_stamp(text, s) != payload::Parse::Ok) {
    ++ctr_.malformed;
    return;
  }
  on_stamp(c, s);
}

void Worker::on_text(uint32_t i, std::string_view text) {
  if (opt_.raw) return on_raw_text(i, text);
  Conn& c = conns_[i];
  const sioc::Incoming in = sioc::classify(text, opt_.nsp);
  switch (in.kind) {
    case sioc::Kind::Event:
      on_message(c, in.data);
      return;
    case sioc::Kind::Ping:
      send_text(i, "3");
      return;
    case sioc::Kind::Open:
      if (c.state == CState::WaitOpen) {
        send_text(i, connect_packet_);
        c.state = CState::WaitConnect;
      }
      return;
    case sioc::Kind::ConnectOk:
      if (c.state == CState::WaitConnect) {
        connect_hist_.record(now_ - c.t_start);
        send_text(i, sioc::join_packet(opt_.nsp, RoomPlan::name(c.room), kJoinAckId));
        c.state = CState::WaitJoin;
      }
      return;
    case sioc::Kind::Ack:
      if (c.state == CState::WaitJoin && in.ack_id == kJoinAckId) {
        if (!sioc::is_ok_ack(in.data)) {
          fail(i, "join was acked with " + std::string(in.data.substr(0, 100)) + " instead of [\"ok\"]");
          return;
        }
        become_ready(c);
      }
      return;
    case sioc::Kind::ConnectError:
      fail(i, "namespace " + opt_.nsp + " refused: " + std::string(in.data.substr(0, 200)));
      return;
    case sioc::Kind::Disconnect:
      fail(i, "server disconnected the namespace");
      return;
    case sioc::Kind::Close:
      fail(i, "server closed the Engine.IO session");
      return;
    case sioc::Kind::Bad:
      ++ctr_.other_events;
      return;
    default:
      return;
  }
}

void Worker::on_message(Conn& c, std::string_view json) {
  payload::Stamp s;
  const payload::Parse r = payload::parse_message(json, s);
  if (r != payload::Parse::Ok) {
    ++(r == payload::Parse::NotMessage ? ctr_.other_events : ctr_.malformed);
    return;
  }
  on_stamp(c, s);
}

void Worker::on_stamp(Conn& c, const payload::Stamp& s) {
  const uint64_t now = now_;
  const uint32_t rooms = plan_.rooms.rooms();
  if (s.publisher >= opt_.publishers || s.publisher % rooms != c.room) {
    ++ctr_.foreign;  // from a room this connection never joined
    return;
  }
  const SeqTracker::Result tr = trackers_[c.track_off + RoomPlan::slot_of(s.publisher, rooms)].on(s.seq);
  if (tr == SeqTracker::Result::Duplicate) {
    ++ctr_.duplicates;
    return;
  }
  if (SeqTracker::is_order_violation(tr)) ++ctr_.order_violations;
  ++ctr_.recv_total;
  if (now >= warm_end_ns_ && now < meas_end_ns_) ++ctr_.recv_measured;
  const uint64_t lat = now > s.t_ns ? now - s.t_ns : 0;
  lat_all_.record(lat);
  if (s.t_ns >= warm_end_ns_ && s.t_ns < meas_end_ns_) lat_measured_.record(lat);
  if (c.publisher >= 0) {
    Publisher& p = pubs_[size_t(c.publisher)];
    if (p.id == s.publisher && s.seq + 1 > p.own_next) {
      p.own_next = std::min(s.seq + 1, p.next_seq);
      p.last_progress = now;
    }
  }
}

void Worker::publish_one(Publisher& p, uint64_t t_stamp) {
  Conn& c = conns_[p.conn];
  const payload::Stamp s{p.id, p.next_seq, t_stamp};
  const size_t n = p.enc.write(scratch_.data(), s);
  wsc::append_masked(c.out, wsc::Op::Text, std::string_view(scratch_.data(), n), mask_key());
  mark_dirty(p.conn);
  ++p.next_seq;
  ++ctr_.pubs_total;
  if (t_stamp >= warm_end_ns_ && t_stamp < meas_end_ns_) ++ctr_.pubs_measured;
}

void Worker::publish_step(uint64_t now) {
  const uint64_t window = opt_.window;
  for (Publisher& p : pubs_) {
    Conn& c = conns_[p.conn];
    if (c.state != CState::Ready) continue;
    if (opt_.saturate()) {
      if (now >= meas_end_ns_) continue;
      if (p.last_progress == 0) p.last_progress = now;
      if (p.next_seq - p.own_next >= window) {
        if (now - p.last_progress < kStallNs) continue;
        p.own_next = p.next_seq;
        p.last_progress = now;
        ++ctr_.stalls;
      }
      while (p.next_seq - p.own_next < window) {
        if (c.out.size() > kMaxQueued) {
          ++ctr_.publish_deferred;
          break;
        }
        publish_one(p, now);
      }
    } else {
      // Every publish keeps its intended time on the schedule even when it goes out late,
      // so a server that stalls the sender shows up in the latency (no coordinated
      // omission). The cap per turn only bounds one turn's work; the backlog stays due.
      for (int k = 0; k < 1024; ++k) {
        const uint64_t t = start_ns_ + p.phase_ns + uint64_t(double(p.next_seq) * interval_ns_);
        if (t > now || t >= meas_end_ns_) break;
        if (c.out.size() > kMaxQueued) {
          ++ctr_.publish_deferred;
          break;
        }
        publish_one(p, t);
      }
    }
  }
}

}  // namespace roomcast::bench
