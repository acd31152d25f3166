// Why the server refused a client's input: one counter per reason (Stats::faults), so an
// operator can tell a fuzzing client from an outdated one from a network problem.
#pragma once
#include <cstddef>
#include <cstdint>

namespace roomcast {

enum class Fault : uint8_t {
  // Before the upgrade (HTTP response, counted in Stats::handshake_errors too).
  HttpMalformed,          // 400: not a parseable HTTP/1.1 request
  HttpHeadersTooLarge,    // 431: request head over the limit
  HttpNotFound,           // 404: not the Engine.IO path
  HttpUnknownMethod,      // 501: a request method HTTP does not define (GARBAGE / HTTP/1.1)
  EioHandshake,           // 400 + Engine.IO error: transport, EIO version, sid, method
  WsBadUpgrade,           // 400: missing/wrong Upgrade, Connection or Sec-WebSocket-Key
  WsBadVersion,           // 426: Sec-WebSocket-Version is not 13
  HandshakeTimeout,       // no complete request within handshake_timeout_ms
  // WebSocket framing (close code in brackets; counted in Stats::protocol_errors too).
  WsProtocol,             // [1002] masking, RSV bits, opcodes, control frame rules, close codes
  WsInvalidUtf8,          // [1007] text message or close reason
  WsTooBig,               // [1009] message over max_payload, or too many fragments
  // Engine.IO / Socket.IO (the connection is closed, as socket.io does).
  EioMalformed,           // not an Engine.IO packet
  EioUnexpected,          // a packet type a v4 client never sends (ping, open, upgrade, noop)
  SioMalformed,           // Socket.IO packet that does not decode (type, namespace, JSON shape)
  SioBadAckId,            // ack id not a number that fits in 64 bits
  SioTooManyAttachments,  // more binary attachments than max_attachments
  SioReservedEvent,       // event name reserved by Socket.IO (connect, disconnect, ...)
  SioUnexpectedBinary,    // a binary message no packet announced
  SioMissingAttachments,  // a text packet while announced attachments are still due
  SioNotConnected,        // packet for a namespace the client has not connected
  SioDuplicateConnect,    // second CONNECT to a namespace already connected
  kCount
};

inline constexpr size_t kFaultCount = size_t(Fault::kCount);

// Stable snake_case name, for metrics and logs.
const char* fault_name(Fault f);
// Faults answered before the upgrade count as handshake errors; the rest as protocol errors.
inline bool is_handshake_fault(Fault f) { return f <= Fault::HandshakeTimeout; }

}  // namespace roomcast
