#include "roomcast/faults.h"

namespace roomcast {

const char* fault_name(Fault f) {
  switch (f) {
    case Fault::HttpMalformed: return "http_malformed";
    case Fault::HttpHeadersTooLarge: return "http_headers_too_large";
    case Fault::HttpNotFound: return "http_not_found";
    case Fault::HttpUnknownMethod: return "http_unknown_method";
    case Fault::EioHandshake: return "eio_handshake";
    case Fault::WsBadUpgrade: return "ws_bad_upgrade";
    case Fault::WsBadVersion: return "ws_bad_version";
    case Fault::HandshakeTimeout: return "handshake_timeout";
    case Fault::WsProtocol: return "ws_protocol";
    case Fault::WsInvalidUtf8: return "ws_invalid_utf8";
    case Fault::WsTooBig: return "ws_too_big";
    case Fault::EioMalformed: return "eio_malformed";
    case Fault::EioUnexpected: return "eio_unexpected";
    case Fault::SioMalformed: return "sio_malformed";
    case Fault::SioBadAckId: return "sio_bad_ack_id";
    case Fault::SioTooManyAttachments: return "sio_too_many_attachments";
    case Fault::SioReservedEvent: return "sio_reserved_event";
    case Fault::SioUnexpectedBinary: return "sio_unexpected_binary";
    case Fault::SioMissingAttachments: return "sio_missing_attachments";
    case Fault::SioNotConnected: return "sio_not_connected";
    case Fault::SioDuplicateConnect: return "sio_duplicate_connect";
    case Fault::kCount: break;
  }
  return "unknown";
}

}  // namespace roomcast
