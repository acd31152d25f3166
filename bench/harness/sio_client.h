// The client's view of incoming Engine.IO / Socket.IO text packets, and the few packets it
// sends during set-up. Pure: no I/O. A load client needs only the packet kind, the ack id
// and where the JSON starts, so this scans a prefix instead of validating whole packets:
// the server under test is trusted to send JSON, and the hot path stays cheap.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace roomcast::bench::sioc {

enum class Kind : uint8_t {
  Open, Close, Ping, Pong, Noop, Upgrade,        // Engine.IO
  ConnectOk, ConnectError, Disconnect, Event, Ack,  // Socket.IO on our namespace
  OtherNamespace, Bad
};

struct Incoming {
  Kind kind = Kind::Bad;
  uint64_t ack_id = 0;        // Ack / Event with an id
  bool has_ack_id = false;
  std::string_view data;      // JSON after namespace and ack id ('' if none)
};

// `nsp` is the namespace as configured: "/" or "/name".
inline Incoming classify(std::string_view t, std::string_view nsp) {
  Incoming in;
  if (t.empty()) return in;
  switch (t[0]) {
    case '0': in.kind = Kind::Open; in.data = t.substr(1); return in;
    case '1': in.kind = Kind::Close; return in;
    case '2': in.kind = Kind::Ping; return in;
    case '3': in.kind = Kind::Pong; return in;
    case '5': in.kind = Kind::Upgrade; return in;
    case '6': in.kind = Kind::Noop; return in;
    case '4': break;
    default: return in;
  }
  if (t.size() < 2) return in;
  const char type = t[1];
  size_t i = 2;
  std::string_view pkt_nsp = "/";
  if (i < t.size() && t[i] == '/') {
    const size_t comma = t.find(',', i);
    const size_t end = comma == std::string_view::npos ? t.size() : comma;
    pkt_nsp = t.substr(i, end - i);
    i = comma == std::string_view::npos ? t.size() : comma + 1;
  }
  if (pkt_nsp != nsp) {
    in.kind = Kind::OtherNamespace;
    return in;
  }
  if (i < t.size() && t[i] >= '0' && t[i] <= '9') {
    uint64_t id = 0;
    int digits = 0;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
      if (++digits > 18) return in;
      id = id * 10 + uint64_t(t[i++] - '0');
    }
    in.ack_id = id;
    in.has_ack_id = true;
  }
  in.data = t.substr(i);
  switch (type) {
    case '0': in.kind = Kind::ConnectOk; break;
    case '1': in.kind = Kind::Disconnect; break;
    case '2': in.kind = Kind::Event; break;
    case '3': in.kind = in.has_ack_id ? Kind::Ack : Kind::Bad; break;
    case '4': in.kind = Kind::ConnectError; break;
    default: in.kind = Kind::Bad; break;  // binary packets: not part of this contract
  }
  return in;
}

// "" for the main namespace, else "/name," (the comma is always written).
inline std::string nsp_prefix(std::string_view nsp) {
  if (nsp == "/" || nsp.empty()) return {};
  return std::string(nsp) + ",";
}

// Engine.IO message carrying a Socket.IO CONNECT: `40` or `40/name,`.
inline std::string connect_packet(std::string_view nsp) { return "40" + nsp_prefix(nsp); }

// `42[/name,]<ack>["join","<room>"]`; room names are generated ASCII without escapes.
inline std::string join_packet(std::string_view nsp, std::string_view room, uint64_t ack_id) {
  std::string s = "42" + nsp_prefix(nsp) + std::to_string(ack_id) + "[\"join\",\"";
  s.append(room);
  s += "\"]";
  return s;
}

// The ack the contract promises for join: `["ok"]` (whitespace tolerated).
inline bool is_ok_ack(std::string_view data) {
  auto skip = [&](size_t i) {
    while (i < data.size() && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r')) ++i;
    return i;
  };
  size_t i = skip(0);
  if (i >= data.size() || data[i] != '[') return false;
  i = skip(i + 1);
  if (data.substr(i, 4) != "\"ok\"") return false;
  i = skip(i + 4);
  return i < data.size() && data[i] == ']';
}

}  // namespace roomcast::bench::sioc
