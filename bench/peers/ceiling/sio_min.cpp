#include "sio_min.h"

namespace ceiling {

namespace {

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t skip_ws(std::string_view s, size_t i) {
  while (i < s.size() && is_ws(s[i])) ++i;
  return i;
}

// Index of the quote closing the JSON string that opens at `open`, or npos.
size_t string_end(std::string_view s, size_t open) {
  for (size_t j = open + 1; j < s.size(); ++j) {
    if (s[j] == '\\') ++j;
    else if (s[j] == '"') return j;
  }
  return std::string_view::npos;
}

// After the event name or room: either the array closes, or more arguments follow.
// Returns false when neither; `args` gets the raw remainder without the closing bracket.
bool rest_args(std::string_view json, size_t after, std::string_view& args) {
  const size_t i = skip_ws(json, after);
  const size_t close = json.size() - 1;
  if (i == close) {
    args = {};
    return true;
  }
  if (i >= close || json[i] != ',') return false;
  args = json.substr(i + 1, close - (i + 1));
  return true;
}

bool read_room(std::string_view json, size_t after_name, std::string_view& room, size_t& after_room) {
  size_t i = skip_ws(json, after_name);
  if (i >= json.size() || json[i] != ',') return false;
  i = skip_ws(json, i + 1);
  if (i >= json.size() || json[i] != '"') return false;
  const size_t end = string_end(json, i);
  if (end == std::string_view::npos) return false;
  room = json.substr(i + 1, end - i - 1);
  after_room = end + 1;
  return true;
}

void append_nsp(std::string& out, std::string_view nsp) {
  if (nsp != "/") {
    out.append(nsp);
    out.push_back(',');
  }
}

}  // namespace

Command parse_command(std::string_view msg) {
  Command c;
  if (msg.empty()) {
    c.kind = CmdKind::Bad;
    return c;
  }
  if (msg[0] == '1') {  // Engine.IO close: the client is leaving
    c.kind = CmdKind::Bad;
    return c;
  }
  if (msg[0] != '4' || msg.size() < 2) return c;  // pongs, noops: nothing to do
  const char type = msg[1];
  if (type != '0' && type != '2') return c;
  std::string_view rest = msg.substr(2);
  if (!rest.empty() && rest[0] == '/') {
    const size_t comma = rest.find(',');
    c.nsp = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  if (type == '0') {
    c.kind = CmdKind::Connect;
    return c;
  }
  size_t digits = 0;
  while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
  c.ack_id = rest.substr(0, digits);
  const std::string_view json = rest.substr(digits);
  if (json.size() < 2 || json.front() != '[' || json.back() != ']') {
    c.kind = CmdKind::Bad;
    return c;
  }
  const size_t name_open = skip_ws(json, 1);
  if (name_open >= json.size() || json[name_open] != '"') return c;  // numeric event names: not ours
  const size_t name_close = string_end(json, name_open);
  if (name_close == std::string_view::npos) {
    c.kind = CmdKind::Bad;
    return c;
  }
  const std::string_view name = json.substr(name_open + 1, name_close - name_open - 1);
  size_t after_room = 0;
  if (name == "join") {
    if (read_room(json, name_close + 1, c.room, after_room)) c.kind = CmdKind::Join;
  } else if (name == "publish") {
    if (read_room(json, name_close + 1, c.room, after_room) && rest_args(json, after_room, c.args))
      c.kind = CmdKind::Publish;
  } else if (name == "broadcast") {
    if (rest_args(json, name_close + 1, c.args)) c.kind = CmdKind::Broadcast;
  }
  return c;
}

std::string open_packet(std::string_view sid, uint32_t ping_interval_ms, uint32_t ping_timeout_ms, uint32_t max_payload) {
  std::string p = "0{\"sid\":\"";
  p.append(sid);
  p.append("\",\"upgrades\":[],\"pingInterval\":");
  p.append(std::to_string(ping_interval_ms));
  p.append(",\"pingTimeout\":");
  p.append(std::to_string(ping_timeout_ms));
  p.append(",\"maxPayload\":");
  p.append(std::to_string(max_payload));
  p.push_back('}');
  return p;
}

std::string connect_reply(std::string_view nsp, std::string_view sid) {
  std::string p = "40";
  append_nsp(p, nsp);
  p.append("{\"sid\":\"");
  p.append(sid);
  p.append("\"}");
  return p;
}

std::string join_ack(std::string_view nsp, std::string_view ack_id) {
  std::string p = "43";
  append_nsp(p, nsp);
  p.append(ack_id);
  p.append("[\"ok\"]");
  return p;
}

std::string message_packet(std::string_view nsp, std::string_view args) {
  std::string p = "42";
  append_nsp(p, nsp);
  p.reserve(p.size() + 12 + args.size());
  p.append("[\"message\"");
  if (!args.empty()) {
    p.push_back(',');
    p.append(args);
  }
  p.push_back(']');
  return p;
}

std::string make_sid(uint64_t n) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  // splitmix64 spreads consecutive counters so ids don't share prefixes.
  auto mix = [](uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  uint64_t a = mix(n);
  uint64_t b = mix(n ^ 0x5851f42d4c957f2dULL);
  std::string id(20, 'A');
  for (size_t i = 0; i < 10; ++i, a >>= 6) id[i] = kAlphabet[a & 63];
  for (size_t i = 10; i < 20; ++i, b >>= 6) id[i] = kAlphabet[b & 63];
  return id;
}

}  // namespace ceiling
