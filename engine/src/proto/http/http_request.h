// HTTP/1.1 request-head parsing and the WebSocket upgrade handshake. Pure: no I/O.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace roomcast::http {

struct Header {
  std::string_view name;
  std::string_view value;  // leading/trailing whitespace trimmed
};

inline constexpr size_t kMaxHeaders = 64;

// Views into the caller's buffer; valid as long as that buffer is.
struct Request {
  std::string_view method;
  std::string_view target;  // as sent: path[?query]
  std::string_view path;    // target up to '?'
  std::string_view query;   // after '?', without it ('' if none)
  int minor_version = 1;    // HTTP/1.<minor>
  std::array<Header, kMaxHeaders> headers{};
  size_t header_count = 0;
  std::optional<uint64_t> content_length;  // validated Content-Length, if sent

  // Case-insensitive header lookup; first match.
  std::optional<std::string_view> header(std::string_view name) const;
};

enum class ParseStatus { Incomplete, Complete, Error };

struct ParseResult {
  ParseStatus status = ParseStatus::Incomplete;
  size_t head_bytes = 0;  // on Complete: bytes of the head including the final CRLFCRLF
  int http_status = 0;    // on Error: 400 (malformed), 431 (head or header count too large),
                          // 505 (not HTTP/1.x), 501 (not implemented)
};

// Parses a request head from the start of `buf`. Incomplete while no CRLFCRLF has been seen
// and the head is within max_head_bytes; Error(431) once it exceeds it.
// Lines must end in CRLF: a bare LF is a 400 at once (a lenient LF parser would disagree
// with CRLF-only proxies about where headers end). Also 400: obs-fold, a header without a
// colon or with whitespace before it, control characters, a bad or repeated differing
// Content-Length. 431: more than kMaxHeaders headers. 505: HTTP/2+ in the request line.
// 501: Transfer-Encoding (request bodies are only read by Content-Length; refusing chunked
// outright avoids any Content-Length/Transfer-Encoding smuggling ambiguity).
// Any method token is accepted here; the caller decides which it serves. Host is not
// required, so simple test clients and load tools work.
ParseResult parse_request(std::string_view buf, Request& out, size_t max_head_bytes = 8192);

// True for the methods HTTP defines (RFC 9110 section 9: GET, HEAD, POST, PUT, DELETE,
// CONNECT, OPTIONS, TRACE; and PATCH, RFC 5789). Method names are case-sensitive, so "get"
// is not one. A method outside this set is answered 501 by the caller (RFC 9110 9.1).
bool known_method(std::string_view method);

// Value of query parameter `key` (percent-decoded, '+' as space), or nullopt. Keys are
// compared after decoding; the first match wins. A malformed escape ("%zz", "%4") is kept
// literally, as Node's querystring does.
std::optional<std::string> query_param(std::string_view query, std::string_view key);

// Every key=value pair of `query` in order, both percent-decoded as query_param does; empty
// segments ("a=1&&b") are skipped, a pair without '=' has an empty value.
std::vector<std::pair<std::string, std::string>> query_pairs(std::string_view query);

// Base64(SHA-1(key + RFC 6455 GUID)).
std::string websocket_accept(std::string_view sec_websocket_key);

struct UpgradeCheck {
  int http_status = 0;        // 0 = a valid upgrade request; else 400 / 426
  std::string_view reason;    // human-readable, for the error body / log
  std::string_view key;       // Sec-WebSocket-Key when valid
};
// Validates method GET, HTTP/1.1+, Upgrade: websocket, Connection containing "upgrade"
// (token list, case-insensitive), Sec-WebSocket-Version 13 (else 426 with
// Sec-WebSocket-Version: 13 in the response), Sec-WebSocket-Key: base64 of 16 bytes.
// A non-GET method is 400, not 405, matching the Engine.IO "bad handshake method" error.
// A missing Sec-WebSocket-Version, or a repeated Key or Version header, is 400.
UpgradeCheck check_websocket_upgrade(const Request& req);

// "HTTP/1.1 101 Switching Protocols" with Upgrade/Connection/Sec-WebSocket-Accept. No
// Sec-WebSocket-Extensions header: permessage-deflate is declined by omission.
std::string upgrade_response(std::string_view sec_websocket_key);

// A complete response with Content-Length and "Connection: close". `extra_headers` is
// inserted verbatim (each line ending in \r\n). An empty content_type omits the header.
std::string response(int status, std::string_view content_type, std::string_view body,
                     std::string_view extra_headers = {});

// Status line reason phrase ("Bad Request", ...); "Unknown" for unlisted codes.
std::string_view reason_phrase(int status);

}  // namespace roomcast::http
