// Why a connection or a socket ends: one value per cause, for code to branch on, and the
// string socket.io's handlers receive for it.
//
// It lives in loop/ because the loop itself ends connections (transport close and error,
// shutdown); the other layers add their causes here so that every close carries one type.
#pragma once
#include <cstdint>
#include <string_view>

namespace roomcast::detail {

// The cause of a disconnect. The first nine are socket.io's reasons; the rest end
// connections that carry no socket yet (or none at all), under names of their own.
enum class CloseReason : uint8_t {
  TransportClose,             // the client closed the connection (or sent an Engine.IO close)
  TransportError,             // the connection failed: a send error, a dropped polling GET
  PingTimeout,                // no pong within pingTimeout
  ParseError,                 // the client sent something that does not decode
  ForcedClose,                // the application closed the connection (EngineConnection::close)
  ServerShuttingDown,         // Server::stop
  ServerNamespaceDisconnect,  // Socket::disconnect on the server
  ClientNamespaceDisconnect,  // the client left the namespace
  ConnectTimeout,             // no namespace joined within connect_timeout_ms
  HandshakeTimeout,           // the HTTP request head did not arrive in time
  RequestOverflow,            // a polling client sent too much ahead of its answer
  UpgradeRefused,             // a second upgrade for a session already upgrading
  ServerClose,                // the session's owner closed the WebSocket it relayed to
  SlowConsumer,               // over the send-queue bound (max_send_queue_bytes)
};

// The string handlers receive (Socket::on_disconnect, EngineIoHandlers::on_close). Socket.io
// calls a connect timeout "forced server close"; roomcast has always said "connect timeout"
// and keeps saying it (no socket exists then, so only Engine.IO handlers can see it).
constexpr std::string_view to_string(CloseReason r) {
  switch (r) {
    case CloseReason::TransportClose: return "transport close";
    case CloseReason::TransportError: return "transport error";
    case CloseReason::PingTimeout: return "ping timeout";
    case CloseReason::ParseError: return "parse error";
    case CloseReason::ForcedClose: return "forced close";
    case CloseReason::ServerShuttingDown: return "server shutting down";
    case CloseReason::ServerNamespaceDisconnect: return "server namespace disconnect";
    case CloseReason::ClientNamespaceDisconnect: return "client namespace disconnect";
    case CloseReason::ConnectTimeout: return "connect timeout";
    case CloseReason::HandshakeTimeout: return "handshake timeout";
    case CloseReason::RequestOverflow: return "request overflow";
    case CloseReason::UpgradeRefused: return "upgrade refused";
    case CloseReason::ServerClose: return "server close";
    case CloseReason::SlowConsumer: return "slow consumer";
  }
  return "unknown";
}

// Whether the client did not mean to leave, so that connection state recovery may keep its
// session for a reconnect: socket.io's rule (transport error and close, ping timeout, forced
// close, server shutting down, and its "forced server close", our ConnectTimeout). A client
// that left, or was sent away by the application or for bad input, starts afresh.
constexpr bool is_unexpected(CloseReason r) {
  switch (r) {
    case CloseReason::TransportClose:
    case CloseReason::TransportError:
    case CloseReason::PingTimeout:
    case CloseReason::ForcedClose:
    case CloseReason::ServerShuttingDown:
    case CloseReason::ConnectTimeout:
    case CloseReason::SlowConsumer:  // the server dropped it for falling behind, as a forced close
      return true;
    case CloseReason::ParseError:
    case CloseReason::ServerNamespaceDisconnect:
    case CloseReason::ClientNamespaceDisconnect:
    case CloseReason::HandshakeTimeout:
    case CloseReason::RequestOverflow:
    case CloseReason::UpgradeRefused:
    case CloseReason::ServerClose:
      return false;
  }
  return false;
}

}  // namespace roomcast::detail
