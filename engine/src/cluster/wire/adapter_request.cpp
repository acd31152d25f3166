#include "cluster/wire/adapter_request.h"

#include <cctype>
#include <charconv>
#include <cstdio>

#include "util/civil_date.h"
#include "proto/http/http_request.h"
#include "util/json_text.h"
#include "proto/msgpack/msgpack_codec.h"

namespace roomcast::detail::adapter {

namespace {

using mp::Head;
using mp::Kind;
using mp::Reader;

// The message as msgpack: as is, or translated from JSON.
bool as_msgpack(std::span<const uint8_t> msg, std::string& buf, std::string_view& bytes) {
  std::string_view in(reinterpret_cast<const char*>(msg.data()), msg.size());
  if (!in.empty() && in.front() == '{') {
    if (!mp::json_to_msgpack(in, buf)) return false;
    bytes = buf;
  } else {
    bytes = in;
  }
  return true;
}

bool list(Reader& r, std::vector<std::string>& out) {
  Head h;
  if (!r.next(h)) return false;
  if (h.kind == Kind::Nil || h.kind == Kind::Undefined) return true;
  if (h.kind != Kind::Array) return r.skip_children(h);
  std::string s;
  for (uint32_t i = 0; i < h.len; ++i) {
    if (!r.string(s)) return false;
    out.push_back(s);
  }
  return true;
}

bool integer(Reader& r, int& v) {
  Head h;
  if (!r.next(h)) return false;
  if (h.kind == Kind::Uint && h.u < 1000) v = int(h.u);
  else if (h.kind == Kind::Float && h.f >= 0 && h.f < 1000 && h.f == double(int(h.f))) v = int(h.f);
  else return r.skip_children(h);
  return true;
}

// A string value; other kinds are skipped and leave `out` empty.
bool text(Reader& r, std::string& out) {
  Head h;
  if (!r.next(h)) return false;
  if (h.kind == Kind::Str) out.assign(h.body);
  else return r.skip_children(h);
  return true;
}

// A non-negative whole number (integer or integral float); other values leave `v` as is.
bool count(Reader& r, int64_t& v) {
  Head h;
  if (!r.next(h)) return false;
  if (h.kind == Kind::Uint && h.u < (uint64_t(1) << 53)) v = int64_t(h.u);
  else if (h.kind == Kind::Float && h.f >= 0 && h.f < 9007199254740992.0 && h.f == double(int64_t(h.f)))
    v = int64_t(h.f);
  else return r.skip_children(h);
  return true;
}

// The raw msgpack of the value at the reader.
bool raw_value(Reader& r, std::string_view bytes, std::string& out) {
  const size_t before = bytes.size() - r.remaining();
  if (!r.skip()) return false;
  out.assign(bytes.substr(before, bytes.size() - r.remaining() - before));
  return true;
}

// opts.flags: only the sender's timeout matters to a receiver.
bool flags(Reader& r, int64_t& timeout_ms) {
  Head h;
  if (!r.next(h)) return false;
  if (h.kind != Kind::Map) return r.skip_children(h);
  std::string f;
  for (uint32_t i = 0; i < h.len; ++i) {
    if (!r.string(f)) return false;
    if (!(f == "timeout" ? count(r, timeout_ms) : r.skip())) return false;
  }
  return true;
}

bool boolean(Reader& r, bool& out) {
  Head h;
  if (!r.next(h)) return false;
  if (h.kind == Kind::Bool) out = h.b;
  else return r.skip_children(h);
  return true;
}

// Calls field(key) for each key of the map at the reader; field consumes the value and
// returns false on malformed input. Unknown keys must be skipped by `field`.
template <class F>
bool each_field(Reader& r, F&& field) {
  Head h;
  if (!r.next(h) || h.kind != Kind::Map) return false;
  std::string key;
  for (uint32_t i = 0; i < h.len; ++i)
    if (!r.string(key) || !field(key)) return false;
  return true;
}

bool fetched_socket(Reader& r, RemoteSocketInfo& s) {
  Head h;
  if (!r.next(h)) return false;
  if (h.kind == Kind::Str) {  // SOCKETS responses list bare ids
    s.id.assign(h.body);
    return true;
  }
  if (h.kind != Kind::Map) return r.skip_children(h);
  std::string key;
  for (uint32_t i = 0; i < h.len; ++i) {
    if (!r.string(key)) return false;
    bool ok;
    if (key == "id") ok = text(r, s.id);
    else if (key == "rooms") ok = list(r, s.rooms);
    else if (key == "handshake")
      ok = each_field(r, [&](const std::string& k) { return k == "address" ? text(r, s.address) : r.skip(); });
    else ok = r.skip();
    if (!ok) return false;
  }
  return true;
}

void str_list(std::string& out, std::span<const std::string> items) {
  out.push_back('[');
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out.push_back(',');
    json::append_string(out, items[i]);
  }
  out.push_back(']');
}

void opts(std::string& out, std::span<const std::string> rooms, std::span<const std::string> except) {
  out += "\"opts\":{\"rooms\":";
  str_list(out, rooms);
  out += ",\"except\":";
  str_list(out, except);
  out.push_back('}');
}

void head(std::string& out, std::string_view uid, int type) {
  out += "{\"uid\":";
  json::append_string(out, uid);
  out += ",\"type\":";
  char b[8];
  out.append(b, std::to_chars(b, b + sizeof b, type).ptr);
}

// Binary bytes have no JSON form: a message carrying them must be msgpack.
bool carries_binary(std::span<const Arg> args) {
  for (const Arg& a : args)
    if (a.kind() == Arg::Kind::Binary ||
        (a.kind() == Arg::Kind::Forward && a.attachments() && !a.attachments()->empty()))
      return true;
  return false;
}

bool put_arg(std::string& out, const Arg& a) {
  switch (a.kind()) {
    case Arg::Kind::String: mp::put_str(out, a.text()); return true;
    case Arg::Kind::Binary:
      mp::put_bin(out, std::string_view(reinterpret_cast<const char*>(a.bytes().data()), a.bytes().size()));
      return true;
    case Arg::Kind::Json:
      if (a.text().empty()) {
        mp::put_nil(out);
        return true;
      }
      return mp::json_to_msgpack(a.text(), out);
    case Arg::Kind::Forward: return mp::json_to_msgpack(a.text(), out, a.attachments());
  }
  return false;
}

// JSON text is trusted by the frame encoder, but here it travels to other servers that
// would drop the whole message: check it by translating it (the result is discarded).
bool append_json_arg(std::string& out, const Arg& a, std::string& scratch) {
  if (a.kind() == Arg::Kind::String) {
    json::append_string(out, a.text());
    return true;
  }
  if (a.text().empty()) {
    out += "null";
    return true;
  }
  scratch.clear();
  if (!mp::json_to_msgpack(a.text(), scratch)) return false;
  out += a.text();
  return true;
}

}  // namespace

namespace {
bool encode_server_side_request_unchecked(std::string& out, std::string_view uid, std::string_view request_id,
                                          std::string_view event, std::span<const Arg> args) {
  constexpr int type = int(RequestType::ServerSideEmit);
  if (carries_binary(args)) {
    mp::put_map(out, request_id.empty() ? 3 : 4);
    mp::put_str(out, "uid");
    mp::put_str(out, uid);
    mp::put_str(out, "type");
    mp::put_int(out, type);
    if (!request_id.empty()) {
      mp::put_str(out, "requestId");
      mp::put_str(out, request_id);
    }
    mp::put_str(out, "data");
    mp::put_array(out, uint32_t(args.size() + 1));
    mp::put_str(out, event);
    for (const Arg& a : args)
      if (!put_arg(out, a)) return false;
    return true;
  }
  head(out, uid, type);
  if (!request_id.empty()) {
    out += ",\"requestId\":";
    json::append_string(out, request_id);
  }
  out += ",\"data\":[";
  json::append_string(out, event);
  std::string scratch;
  for (const Arg& a : args) {
    out.push_back(',');
    if (!append_json_arg(out, a, scratch)) return false;
  }
  out += "]}";
  return true;
}
}  // namespace

// Arguments nested right at the readers' depth limit end up one or two levels deeper in the
// request, where no node of the cluster (this one included) would read them: such a request
// is refused here rather than sent. Checking by reading it back keeps writer and reader in
// step; server-side emits are rare, so the second pass costs nothing that matters.
bool encode_server_side_request(std::string& out, std::string_view uid, std::string_view request_id,
                                std::string_view event, std::span<const Arg> args) {
  const size_t start = out.size();
  Request check;
  if (encode_server_side_request_unchecked(out, uid, request_id, event, args) &&
      decode_request(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(out.data()) + start,
                                              out.size() - start),
                     check))
    return true;
  out.resize(start);
  return false;
}

bool encode_server_side_response(std::string& out, std::string_view request_id, const Arg* value) {
  constexpr int type = int(RequestType::ServerSideEmit);
  if (value && carries_binary(std::span<const Arg>(value, 1))) {
    mp::put_map(out, 3);
    mp::put_str(out, "type");
    mp::put_int(out, type);
    mp::put_str(out, "requestId");
    mp::put_str(out, request_id);
    mp::put_str(out, "data");
    return put_arg(out, *value);
  }
  out += "{\"type\":6,\"requestId\":";
  json::append_string(out, request_id);
  if (value) {
    out += ",\"data\":";
    std::string scratch;
    if (!append_json_arg(out, *value, scratch)) return false;
  }
  out.push_back('}');
  return true;
}

bool encode_broadcast_ack_request(std::string& out, std::string_view uid, std::string_view request_id,
                                  std::string_view nsp, std::string_view event, std::span<const Arg> args,
                                  std::span<const std::string> rooms, std::span<const std::string> except,
                                  int64_t timeout_ms) {
  const size_t start = out.size();
  mp::put_map(out, 5);
  mp::put_str(out, "uid");
  mp::put_str(out, uid);
  mp::put_str(out, "requestId");
  mp::put_str(out, request_id);
  mp::put_str(out, "type");
  mp::put_int(out, int(RequestType::Broadcast));
  mp::put_str(out, "packet");
  if (!encode_packet(out, nsp, event, args)) {
    out.resize(start);
    return false;
  }
  mp::put_str(out, "opts");
  encode_opts(out, rooms, except, timeout_ms);
  return true;
}

std::string encode_client_count_response(std::string_view request_id, uint64_t count) {
  std::string out = "{\"type\":8,\"requestId\":";
  json::append_string(out, request_id);
  out += ",\"clientCount\":";
  char b[24];
  out.append(b, std::to_chars(b, b + sizeof b, count).ptr);
  out.push_back('}');
  return out;
}

bool encode_broadcast_ack_response(std::string& out, std::string_view request_id, const Arg* value) {
  const size_t start = out.size();
  mp::put_map(out, value ? 3 : 2);
  mp::put_str(out, "type");
  mp::put_int(out, int(RequestType::BroadcastAck));
  mp::put_str(out, "requestId");
  mp::put_str(out, request_id);
  if (!value) return true;
  mp::put_str(out, "packet");
  if (put_arg(out, *value)) return true;
  out.resize(start);
  return false;
}

bool decode_request(std::span<const uint8_t> msg, Request& out) {
  std::string buf;
  std::string_view bytes;
  if (!as_msgpack(msg, buf, bytes)) return false;
  Reader r(bytes);
  return each_field(r, [&](const std::string& k) {
    if (k == "type") return integer(r, out.type);
    if (k == "uid") return text(r, out.uid);
    if (k == "requestId") return text(r, out.request_id);
    if (k == "rooms") return list(r, out.rooms);
    if (k == "sid") return text(r, out.sid);
    if (k == "room") return text(r, out.room);
    if (k == "close") return boolean(r, out.close);
    if (k == "opts") {
      Head h;
      if (!r.next(h)) return false;
      if (h.kind != Kind::Map) return r.skip_children(h);  // a null opts is the same as none
      out.has_opts = true;
      std::string o;
      for (uint32_t i = 0; i < h.len; ++i) {
        if (!r.string(o)) return false;
        bool ok;
        if (o == "rooms") ok = list(r, out.opts_rooms);
        else if (o == "except") ok = list(r, out.opts_except);
        else if (o == "flags") ok = flags(r, out.timeout_ms);
        else ok = r.skip();
        if (!ok) return false;
      }
      return true;
    }
    if (k == "packet") {  // a repeated key: the last one wins, with its own attachments only
      out.packet = RemoteBroadcast{};
      out.packet_result = decode_packet(r, out.packet);
      // Only BROADCAST carries one; a packet that is no packet object spoils the request.
      return out.packet_result != DecodeResult::Malformed;
    }
    if (k == "data") {  // a repeated key: the last one wins, with its own attachments only
      out.data_json.clear();
      out.data_attachments.clear();
      return mp::to_json(r, out.data_json, out.data_attachments);
    }
    return r.skip();
  });
}

bool decode_response(std::span<const uint8_t> msg, Response& out) {
  std::string buf;
  std::string_view bytes;
  if (!as_msgpack(msg, buf, bytes)) return false;
  Reader r(bytes);
  return each_field(r, [&](const std::string& k) {
    if (k == "requestId") return text(r, out.request_id);
    if (k == "type") return integer(r, out.type);
    if (k == "rooms") {
      out.has_rooms = true;
      return list(r, out.rooms);
    }
    if (k == "data") return raw_value(r, bytes, out.data_msgpack);
    if (k == "packet") return raw_value(r, bytes, out.packet_msgpack);
    if (k == "clientCount") return count(r, out.client_count);
    if (k == "sockets") {
      Head h;
      if (!r.next(h)) return false;
      if (h.kind != Kind::Array) return r.skip_children(h);
      out.has_sockets = true;
      for (uint32_t i = 0; i < h.len; ++i) {
        RemoteSocketInfo s;
        if (!fetched_socket(r, s)) return false;
        if (!s.id.empty()) out.sockets.push_back(std::move(s));
      }
      return true;
    }
    return r.skip();
  });
}

std::string encode_fetch_request(std::string_view uid, std::string_view request_id,
                                 std::span<const std::string> rooms, std::span<const std::string> except) {
  std::string out;
  head(out, uid, int(RequestType::RemoteFetch));
  out += ",\"requestId\":";
  json::append_string(out, request_id);
  out.push_back(',');
  opts(out, rooms, except);
  out.push_back('}');
  return out;
}

std::string encode_rooms_request(std::string_view uid, RequestType type, std::span<const std::string> rooms,
                                 std::span<const std::string> except, std::span<const std::string> targets) {
  std::string out;
  head(out, uid, int(type));
  out.push_back(',');
  opts(out, rooms, except);
  out += ",\"rooms\":";
  str_list(out, targets);
  out.push_back('}');
  return out;
}

std::string encode_disconnect_request(std::string_view uid, std::span<const std::string> rooms,
                                      std::span<const std::string> except, bool close) {
  std::string out;
  head(out, uid, int(RequestType::RemoteDisconnect));
  out.push_back(',');
  opts(out, rooms, except);
  out += close ? ",\"close\":true}" : ",\"close\":false}";
  return out;
}

std::string js_date_string(int64_t ms) {
  static const char* const kDays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};  // day 0 was a Thursday
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  const int64_t in_day = secs - days * 86400;
  const char* weekday = kDays[((days % 7) + 7) % 7];
  const detail::CivilDate date = detail::civil_from_days(days);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s %s %02d %04lld %02d:%02d:%02d GMT+0000 (Coordinated Universal Time)", weekday,
                kMonths[date.month - 1], date.day, static_cast<long long>(date.year), int(in_day / 3600),
                int(in_day / 60 % 60), int(in_day % 60));
  return buf;
}

void append_fetched_socket(std::string& out, const FetchedSocket& s) {
  out += "{\"id\":";
  json::append_string(out, s.id);
  out += ",\"handshake\":{\"headers\":{";
  bool origin = false;
  for (size_t i = 0; i < s.headers.size(); ++i) {
    if (i) out.push_back(',');
    std::string key(s.headers[i].first);
    for (char& c : key) c = char(std::tolower(static_cast<unsigned char>(c)));  // as Node reports them
    origin = origin || key == "origin";
    json::append_string(out, key);
    out.push_back(':');
    json::append_string(out, s.headers[i].second);
  }
  out += "},\"time\":";
  json::append_string(out, js_date_string(s.issued_ms));
  out += ",\"address\":";
  json::append_string(out, s.address);
  // socket.io: xdomain is whether an Origin header came; secure whether TLS (never here).
  out += origin ? ",\"xdomain\":true" : ",\"xdomain\":false";
  out += ",\"secure\":false,\"issued\":";
  char num[24];
  out.append(num, std::to_chars(num, num + sizeof num, s.issued_ms).ptr);
  out += ",\"url\":";
  json::append_string(out, s.url);
  out += ",\"query\":{";
  const auto pairs = http::query_pairs(s.query);
  std::vector<bool> done(pairs.size(), false);
  bool first = true;
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (done[i]) continue;
    size_t same = 0;
    for (size_t j = i; j < pairs.size(); ++j) same += pairs[j].first == pairs[i].first;
    if (!first) out.push_back(',');
    first = false;
    json::append_string(out, pairs[i].first);
    out.push_back(':');
    if (same == 1) {
      json::append_string(out, pairs[i].second);
      continue;
    }
    out.push_back('[');  // Node's querystring gathers a repeated key's values in an array
    for (size_t j = i, k = 0; j < pairs.size(); ++j) {
      if (pairs[j].first != pairs[i].first) continue;
      done[j] = true;
      if (k++) out.push_back(',');
      json::append_string(out, pairs[j].second);
    }
    out.push_back(']');
  }
  out += "},\"auth\":";
  out += s.auth_json.empty() ? std::string_view("{}") : s.auth_json;
  out += "},\"rooms\":";
  str_list(out, s.rooms);
  out += ",\"data\":{}}";
}

std::string encode_sockets_response(std::string_view request_id, std::string_view items) {
  std::string out = "{\"requestId\":";
  json::append_string(out, request_id);
  out += ",\"sockets\":[";
  out += items;
  out += "]}";
  return out;
}

std::string encode_ids_response(std::string_view request_id, std::span<const std::string> ids) {
  std::string out = "{\"requestId\":";
  json::append_string(out, request_id);
  out += ",\"sockets\":";
  str_list(out, ids);
  out.push_back('}');
  return out;
}

std::string encode_rooms_response(std::string_view request_id, std::span<const std::string> rooms) {
  std::string out = "{\"requestId\":";
  json::append_string(out, request_id);
  out += ",\"rooms\":";
  str_list(out, rooms);
  out.push_back('}');
  return out;
}

std::string encode_done_response(std::string_view request_id) {
  std::string out = "{\"requestId\":";
  json::append_string(out, request_id);
  out.push_back('}');
  return out;
}

}  // namespace roomcast::detail::adapter
