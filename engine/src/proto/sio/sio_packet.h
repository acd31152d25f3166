// Engine.IO v4 and Socket.IO v5 packet codecs. Pure: functions over bytes, no I/O.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace roomcast::sio {

// ---- Engine.IO ----
enum class EioType : uint8_t { Open = 0, Close = 1, Ping = 2, Pong = 3, Message = 4, Upgrade = 5, Noop = 6 };

struct EioPacket {
  EioType type;
  std::string_view data;  // after the type character
};
// Parses the text of one Engine.IO packet carried in a WebSocket text frame.
std::optional<EioPacket> parse_eio_text(std::string_view text);

// `0{"sid":"...","upgrades":[...],"pingInterval":N,"pingTimeout":N,"maxPayload":N}`
// with exactly these keys in this order.
std::string encode_eio_open(std::string_view sid, bool offer_websocket_upgrade,
                            uint32_t ping_interval_ms, uint32_t ping_timeout_ms,
                            uint64_t max_payload);

// ---- Socket.IO ----
enum class Type : uint8_t {
  Connect = 0, Disconnect = 1, Event = 2, Ack = 3, ConnectError = 4, BinaryEvent = 5, BinaryAck = 6
};

struct Packet {
  Type type = Type::Connect;
  uint32_t attachments = 0;          // BinaryEvent / BinaryAck only
  std::string_view nsp = "/";        // "/" when absent
  std::optional<uint64_t> ack_id;
  std::string_view data;             // raw JSON payload text, '' if none
};

enum class DecodeError : uint8_t {
  None, Empty, UnknownType, BadAttachments, TooManyAttachments, BadNamespace, BadAckId,
  BadJson, InvalidPayload, ReservedEventName
};
const char* to_string(DecodeError);

// Decodes the text of a Socket.IO packet (the Engine.IO message payload, without the
// leading '4'). Validates like socket.io-parser: the namespace ends at ',' or at the end
// of the text; the payload must be valid JSON of the shape the type requires (CONNECT:
// object or nothing; DISCONNECT: nothing; EVENT/BINARY_EVENT: non-empty array whose first
// element is a number or a non-reserved string; ACK/BINARY_ACK: array; CONNECT_ERROR:
// object or string); attachments <= max_attachments and only on binary types.
DecodeError decode(std::string_view text, Packet& out, uint32_t max_attachments = 10);

// Reserved event names: connect, connect_error, disconnect, disconnecting, newListener,
// removeListener.
bool is_reserved_event(std::string_view name);

// Splits a JSON array text into the raw texts of its top-level elements (whitespace
// trimmed). The input must already be valid JSON. Returns false if it is not an array.
bool split_array(std::string_view array_json, std::vector<std::string_view>& out);

// Number of binary placeholders `{"_placeholder":true,"num":N}` in `json` and whether
// their nums are exactly 0..count-1 each once, for an incoming packet with `attachments`.
bool placeholders_valid(std::string_view json, uint32_t attachments);

// One exact placeholder object `{"_placeholder":true,"num":N}` inside a JSON text:
// its byte range [begin, end) and N. Whitespace between tokens is tolerated.
struct Placeholder {
  size_t begin = 0;
  size_t end = 0;
  uint32_t num = 0;
};

// Walks the placeholders of a (valid) JSON text in textual order, skipping string
// contents. A `_placeholder` key anywhere other than in an exact placeholder (other keys,
// other order, a num that is not a small non-negative integer, an escaped spelling) makes
// the scan stop with bad() set: a JavaScript receiver would still treat such an object as
// a placeholder, so letting it through would desynchronise attachments. Safe on any input.
class PlaceholderScanner {
 public:
  explicit PlaceholderScanner(std::string_view json) : s_(json) {}
  bool next(Placeholder& out);  // false at the end or once bad()
  bool bad() const { return bad_; }

 private:
  std::string_view s_;
  size_t pos_ = 0;
  bool bad_ = false;
};

// False only when `json` cannot hold a placeholder (no `_placeholder`, no `\u`): lets the
// common case skip the scan.
bool may_hold_placeholders(std::string_view json);
// N when the whole of `json` (whitespace trimmed) is one exact placeholder.
std::optional<uint32_t> as_placeholder(std::string_view json);

// Whether `json` is one complete JSON text (RFC 8259), as JSON.parse would accept it:
// big integers and lone \u surrogate escapes included, trailing non-whitespace rejected.
bool json_valid(std::string_view json);

// Engine.IO message payload text of a CONNECT reply: `0[/nsp,]{"sid":"<sid>"}`.
std::string encode_connect_ok(std::string_view nsp, std::string_view sid);
// `4[/nsp,]{"message":<message>[,"data":<data_json>]}`; data_json is raw JSON or empty.
std::string encode_connect_error(std::string_view nsp, std::string_view message,
                                 std::string_view data_json = {});
// `1[/nsp,]`
std::string encode_disconnect(std::string_view nsp);

// Note on namespaces when encoding: "/" is omitted; any other namespace is written followed
// by a comma, always.

}  // namespace roomcast::sio
