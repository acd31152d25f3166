#include "cluster/wire/adapter_protocol.h"

#include "proto/msgpack/msgpack_codec.h"

namespace roomcast::detail::adapter {

std::string broadcast_channel(std::string_view prefix, std::string_view nsp) {
  std::string c;
  c.reserve(prefix.size() + nsp.size() + 2);
  c.append(prefix).append("#").append(nsp).append("#");
  return c;
}

std::string publish_channel(std::string_view prefix, std::string_view nsp, std::span<const std::string> rooms) {
  std::string c = broadcast_channel(prefix, nsp);
  if (rooms.size() == 1) c.append(rooms[0]).append("#");
  return c;
}

std::string request_channel(std::string_view prefix, std::string_view nsp) {
  std::string c(prefix);
  c.append("-request#").append(nsp).append("#");
  return c;
}

std::string response_channel(std::string_view prefix, std::string_view nsp) {
  std::string c(prefix);
  c.append("-response#").append(nsp).append("#");
  return c;
}

bool room_of_channel(std::string_view base, std::string_view channel, std::string_view& room) {
  if (channel.size() < base.size() || channel.substr(0, base.size()) != base) return false;
  if (channel.size() == base.size()) {
    room = {};
    return true;
  }
  // Node takes everything between the base and the last character as the room.
  if (channel.back() != '#') return false;
  room = channel.substr(base.size(), channel.size() - base.size() - 1);
  return true;
}

namespace {

using mp::Head;
using mp::Kind;
using mp::Reader;

bool string_list(Reader& r, std::vector<std::string>& out) {
  Head h;
  if (!r.next(h)) return false;
  if (h.kind == Kind::Nil || h.kind == Kind::Undefined) return true;
  if (h.kind != Kind::Array) return false;
  std::string s;
  for (uint32_t i = 0; i < h.len; ++i) {
    if (!r.string(s)) return false;
    out.push_back(s);
  }
  return true;
}

}  // namespace

// packet: {type, data, nsp, ...} in any order.
DecodeResult decode_packet(Reader& r, RemoteBroadcast& out) {
  Head h;
  if (!r.next(h) || h.kind != Kind::Map) return DecodeResult::Malformed;
  bool have_data = false, is_event = false, event_ok = false;
  std::string key;
  for (uint32_t i = 0; i < h.len; ++i) {
    if (!r.string(key)) return DecodeResult::Malformed;
    if (key == "type") {
      Head t;
      if (!r.next(t)) return DecodeResult::Malformed;
      // EVENT, or BINARY_EVENT should an encoder ever hand that over.
      is_event = t.kind == Kind::Uint && (t.u == 2 || t.u == 5);
    } else if (key == "nsp") {
      Head n;
      if (!r.next(n)) return DecodeResult::Malformed;
      if (n.kind == Kind::Str) out.nsp.assign(n.body);
      else if (n.kind != Kind::Undefined && n.kind != Kind::Nil) out.nsp.clear();  // never one of ours
    } else if (key == "data") {
      Head d;
      if (!r.next(d)) return DecodeResult::Malformed;
      if (d.kind != Kind::Array) {
        if (!r.skip_children(d)) return DecodeResult::Malformed;
        continue;
      }
      have_data = true;  // a repeated key: the last one wins, with its own attachments only
      out.args_json.clear();
      out.attachments.clear();
      out.args_json.push_back('[');
      for (uint32_t k = 0; k < d.len; ++k) {
        if (k == 0) {
          Head ev;
          if (!r.next(ev)) return DecodeResult::Malformed;
          event_ok = ev.kind == Kind::Str;
          if (event_ok) out.event.assign(ev.body);
          else if (!r.skip_children(ev)) return DecodeResult::Malformed;
          continue;
        }
        if (k > 1) out.args_json.push_back(',');
        if (!mp::to_json(r, out.args_json, out.attachments)) return DecodeResult::Malformed;
      }
      out.args_json.push_back(']');
    } else if (!r.skip()) {
      return DecodeResult::Malformed;
    }
  }
  if (!have_data || !is_event || !event_ok) return DecodeResult::NotAnEvent;
  return DecodeResult::Ok;
}

namespace {

bool opts(Reader& r, RemoteBroadcast& out) {
  Head h;
  if (!r.next(h)) return false;
  if (h.kind == Kind::Nil || h.kind == Kind::Undefined) return true;
  if (h.kind != Kind::Map) return false;
  std::string key;
  for (uint32_t i = 0; i < h.len; ++i) {
    if (!r.string(key)) return false;
    if (key == "rooms") {
      if (!string_list(r, out.rooms)) return false;
    } else if (key == "except") {
      if (!string_list(r, out.except)) return false;
    } else if (!r.skip()) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool peek_uid(std::span<const uint8_t> msg, std::string& uid) {
  Reader r(msg);
  Head h;
  return r.next(h) && h.kind == Kind::Array && h.len >= 1 && r.string(uid);
}

DecodeResult decode_broadcast(std::span<const uint8_t> msg, RemoteBroadcast& out) {
  Reader r(msg);
  Head h;
  if (!r.next(h) || h.kind != Kind::Array || h.len < 3) return DecodeResult::Malformed;
  if (!r.string(out.uid)) return DecodeResult::Malformed;
  const DecodeResult p = decode_packet(r, out);
  if (p == DecodeResult::Malformed) return p;
  if (!opts(r, out)) return DecodeResult::Malformed;
  return p;
}

bool encode_packet(std::string& out, std::string_view nsp, std::string_view event, std::span<const Arg> args) {
  mp::put_map(out, 3);
  mp::put_str(out, "type");
  mp::put_int(out, 2);
  mp::put_str(out, "data");
  mp::put_array(out, uint32_t(args.size() + 1));
  mp::put_str(out, event);
  for (const Arg& a : args) {
    switch (a.kind()) {
      case Arg::Kind::String: mp::put_str(out, a.text()); break;
      case Arg::Kind::Binary:
        mp::put_bin(out, std::string_view(reinterpret_cast<const char*>(a.bytes().data()), a.bytes().size()));
        break;
      case Arg::Kind::Json:
        if (a.text().empty()) mp::put_nil(out);  // the frame encoder writes null for it too
        else if (!mp::json_to_msgpack(a.text(), out)) return false;
        break;
      case Arg::Kind::Forward:
        if (!mp::json_to_msgpack(a.text(), out, a.attachments())) return false;
        break;
    }
  }
  mp::put_str(out, "nsp");
  mp::put_str(out, nsp);
  return true;
}

bool encode_broadcast(std::string& out, std::string_view uid, std::string_view nsp, std::string_view event,
                      std::span<const Arg> args, std::span<const std::string> rooms,
                      std::span<const std::string> except) {
  mp::put_array(out, 3);
  mp::put_str(out, uid);
  if (!encode_packet(out, nsp, event, args)) return false;
  encode_opts(out, rooms, except);
  return true;
}

void encode_opts(std::string& out, std::span<const std::string> rooms, std::span<const std::string> except,
                 std::optional<int64_t> timeout_ms) {
  mp::put_map(out, 3);
  mp::put_str(out, "rooms");
  mp::put_array(out, uint32_t(rooms.size()));
  for (auto& room : rooms) mp::put_str(out, room);
  mp::put_str(out, "except");
  mp::put_array(out, uint32_t(except.size()));
  for (auto& room : except) mp::put_str(out, room);
  mp::put_str(out, "flags");
  if (timeout_ms) {
    mp::put_map(out, 1);
    mp::put_str(out, "timeout");
    mp::put_int(out, *timeout_ms);
  } else {
    mp::put_map(out, 0);
  }
}

}  // namespace roomcast::detail::adapter
