// Engine.IO long-polling state kept on connections.
//
// A polling session has no TCP connection of its own: it is a connection slot without a
// socket on its owning shard (a "virtual" connection), so rooms, sockets, heartbeat and the
// send queue work as for a WebSocket session. Its HTTP requests arrive on any connection of
// any shard and are handed to the owner as tasks; the owner answers the same way. After an
// upgrade the WebSocket connection relays frames between the client and the owner.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "loop/handles.h"

namespace roomcast::detail {

class SharedFrame;

enum class PollRole : uint8_t {
  Client,   // an HTTP connection carrying polling requests (any shard)
  Session,  // the virtual connection of a polling session (owning shard)
  Relay,    // a WebSocket upgraded from polling (any shard), bytes go to the owner
};

enum class UpgradeState : uint8_t { None, Probing, Upgraded };

struct PollingConn {
  PollRole role = PollRole::Client;
  std::string sid;

  // Client / Relay
  bool waiting = false;     // a request is with the owner, not answered yet
  bool keep_alive = true;
  ShardId owner;
  std::string ws_key;       // Sec-WebSocket-Key of a pending upgrade request
  ConnId session;           // Relay: the session's connection on the owner

  // Session
  std::optional<ConnRef> get;   // the held GET
  bool get_keep_alive = true;
  std::string get_headers;      // CORS header lines for the held GET's answer
  UpgradeState upgrade = UpgradeState::None;
  bool probed = false;          // 2probe seen: GETs are answered with noop
  ConnRef ws;                   // the upgrading / upgraded WebSocket
  int64_t upgrade_deadline_ms = 0;
};

// What the owner tells the shard of a Client connection.
struct PollAnswer {
  enum Kind : uint8_t { Http, WsAccept, WsAcceptThenClose } kind = Http;
  SharedFrame* bytes = nullptr;  // Http: the complete response (one reference)
  bool keep_alive = true;
  ConnId session;                // WsAccept: the session
};

// Sessions of one shard by sid; only that shard's thread touches it.
struct PollingTable {
  std::unordered_map<std::string, ConnId> sids;
};

// The first two characters of a sid carry the owning shard (12 bits), the other 18 are
// random: still 108 bits nobody can guess, and any shard finds the owner without a lookup.
std::string mint_sid(unsigned shard);
std::optional<unsigned> shard_of_sid(std::string_view sid, unsigned shard_count);

}  // namespace roomcast::detail
