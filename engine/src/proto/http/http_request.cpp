// HTTP/1.1 request heads (RFC 9112) and the RFC 6455 opening handshake. The parser is
// strict where leniency has caused request smuggling elsewhere: CRLF only, no obs-fold,
// no whitespace before the colon, one Content-Length value, no Transfer-Encoding.
#include "proto/http/http_request.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

namespace roomcast::http {
namespace {

constexpr std::string_view kWebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

bool is_tchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (!is_tchar(c)) return false;
  return true;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c + ('a' - 'A')) : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Field values may hold HTAB, SP, visible ASCII and obs-text; other controls (CR, NUL,
// DEL...) are how header injection gets through, so they are refused.
bool valid_field_value(std::string_view v) {
  for (unsigned char c : v)
    if ((c < 0x20 && c != '\t') || c == 0x7F) return false;
  return true;
}

// `list` is a comma-separated token list ("keep-alive, Upgrade"); matches whole tokens only.
bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = trim_ows(list.substr(0, comma));
    if (iequals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// List headers may be split over several lines (Connection: keep-alive / Connection: Upgrade).
bool any_header_has_token(const Request& req, std::string_view name, std::string_view token) {
  for (size_t i = 0; i < req.header_count; ++i)
    if (iequals(req.headers[i].name, name) && has_token(req.headers[i].value, token)) return true;
  return false;
}

size_t count_headers(const Request& req, std::string_view name) {
  size_t n = 0;
  for (size_t i = 0; i < req.header_count; ++i) n += iequals(req.headers[i].name, name);
  return n;
}

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '+' || c == '/';
}

// 16 bytes in base64 are 22 symbols and "==". Unused trailing bits are not checked, as in
// the ws library, so any key a lenient decoder reads as 16 bytes is accepted.
bool valid_websocket_key(std::string_view key) {
  if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
  for (size_t i = 0; i < 22; ++i)
    if (!is_base64_char(key[i])) return false;
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out.push_back(char(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool needs_decoding(std::string_view s) {
  return s.find_first_of("%+") != std::string_view::npos;
}

// `line` is the request line without its CRLF. Returns 0 or the HTTP error status.
int parse_request_line(std::string_view line, Request& out) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return 400;
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return 400;
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method) || target.empty()) return 400;
  for (unsigned char c : target)
    if (c <= 0x20 || c >= 0x7F) return 400;  // clients percent-encode anything else
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || !digit(version[5]) ||
      version[6] != '.' || !digit(version[7]))
    return 400;
  if (version[5] != '1') return 505;
  out.method = method;
  out.target = target;
  size_t q = target.find('?');
  out.path = target.substr(0, q);
  out.query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  out.minor_version = version[7] - '0';
  return 0;
}

// Returns 0 or the HTTP error status. Repeated headers must agree (RFC 9110 8.6).
int parse_content_length(Request& out) {
  for (size_t i = 0; i < out.header_count; ++i) {
    if (!iequals(out.headers[i].name, "content-length")) continue;
    std::string_view v = out.headers[i].value;
    if (v.empty() || v.size() > 18) return 400;  // 18 digits cannot overflow uint64_t
    uint64_t n = 0;
    for (char c : v) {
      if (c < '0' || c > '9') return 400;
      n = n * 10 + uint64_t(c - '0');
    }
    if (out.content_length && *out.content_length != n) return 400;
    out.content_length = n;
  }
  return 0;
}

ParseResult fail(int status) { return ParseResult{ParseStatus::Error, 0, status}; }

}  // namespace

bool known_method(std::string_view m) {
  for (std::string_view k : {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})
    if (m == k) return true;
  return false;
}

std::optional<std::string_view> Request::header(std::string_view name) const {
  for (size_t i = 0; i < header_count; ++i)
    if (iequals(headers[i].name, name)) return headers[i].value;
  return std::nullopt;
}

ParseResult parse_request(std::string_view buf, Request& out, size_t max_head_bytes) {
  // Find the end of the head, refusing bare LF as soon as it is seen.
  size_t limit = std::min(buf.size(), max_head_bytes);
  size_t head_end = 0;
  for (size_t pos = 0; pos < limit;) {
    const void* nl = std::memchr(buf.data() + pos, '\n', limit - pos);
    if (!nl) break;
    size_t i = size_t(static_cast<const char*>(nl) - buf.data());
    if (i == 0 || buf[i - 1] != '\r') return fail(400);
    if (i >= 3 && buf[i - 2] == '\n' && buf[i - 3] == '\r') {
      head_end = i + 1;
      break;
    }
    pos = i + 1;
  }
  if (head_end == 0) {
    if (buf.size() >= max_head_bytes) return fail(431);
    return ParseResult{};
  }

  out = Request{};
  // Every line of the head, the last header's included, ends in CRLF; drop the empty one.
  std::string_view head = buf.substr(0, head_end - 2);
  size_t eol = head.find("\r\n");
  if (int st = parse_request_line(head.substr(0, eol), out)) return fail(st);
  for (size_t pos = eol + 2; pos < head.size(); pos = eol + 2) {
    eol = head.find("\r\n", pos);
    std::string_view line = head.substr(pos, eol - pos);
    if (line.front() == ' ' || line.front() == '\t') return fail(400);  // obs-fold
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return fail(400);
    std::string_view name = line.substr(0, colon);
    std::string_view value = trim_ows(line.substr(colon + 1));
    if (!is_token(name) || !valid_field_value(value)) return fail(400);
    if (out.header_count == kMaxHeaders) return fail(431);
    out.headers[out.header_count++] = Header{name, value};
  }
  if (out.header("transfer-encoding")) return fail(501);
  if (int st = parse_content_length(out)) return fail(st);
  return ParseResult{ParseStatus::Complete, head_end, 0};
}

std::optional<std::string> query_param(std::string_view query, std::string_view key) {
  while (true) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    std::string_view k = pair.substr(0, eq);
    std::string_view v = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    bool match = needs_decoding(k) ? percent_decode(k) == key : k == key;
    if (match && !pair.empty()) return percent_decode(v);
    if (amp == std::string_view::npos) return std::nullopt;
    query.remove_prefix(amp + 1);
  }
}

std::vector<std::pair<std::string, std::string>> query_pairs(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (!pair.empty()) {
      const size_t eq = pair.find('=');
      out.emplace_back(percent_decode(pair.substr(0, eq)),
                       eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

std::string websocket_accept(std::string_view sec_websocket_key) {
  std::string input;
  input.reserve(sec_websocket_key.size() + kWebSocketGuid.size());
  input.append(sec_websocket_key).append(kWebSocketGuid);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_Digest(input.data(), input.size(), digest, &digest_len, EVP_sha1(), nullptr);
  unsigned char encoded[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  int n = EVP_EncodeBlock(encoded, digest, int(digest_len));
  return std::string(reinterpret_cast<const char*>(encoded), size_t(n));
}

UpgradeCheck check_websocket_upgrade(const Request& req) {
  auto bad = [](int status, std::string_view why) { return UpgradeCheck{status, why, {}}; };
  if (req.method != "GET") return bad(400, "WebSocket handshake must use GET");
  if (req.minor_version < 1) return bad(400, "WebSocket handshake needs HTTP/1.1");
  if (!any_header_has_token(req, "upgrade", "websocket"))
    return bad(400, "missing or invalid Upgrade header");
  if (!any_header_has_token(req, "connection", "upgrade"))
    return bad(400, "missing or invalid Connection header");
  size_t versions = count_headers(req, "sec-websocket-version");
  if (versions == 0) return bad(400, "missing Sec-WebSocket-Version header");
  if (versions > 1) return bad(400, "repeated Sec-WebSocket-Version header");
  if (*req.header("sec-websocket-version") != "13")
    return bad(426, "unsupported Sec-WebSocket-Version");
  if (count_headers(req, "sec-websocket-key") != 1)
    return bad(400, "missing or repeated Sec-WebSocket-Key header");
  std::string_view key = *req.header("sec-websocket-key");
  if (!valid_websocket_key(key)) return bad(400, "invalid Sec-WebSocket-Key header");
  return UpgradeCheck{0, {}, key};
}

std::string upgrade_response(std::string_view sec_websocket_key) {
  std::string r =
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  r += websocket_accept(sec_websocket_key);
  r += "\r\n\r\n";
  return r;
}

std::string response(int status, std::string_view content_type, std::string_view body,
                     std::string_view extra_headers) {
  std::string r = "HTTP/1.1 ";
  r += std::to_string(status);
  r += ' ';
  r += reason_phrase(status);
  r += "\r\n";
  if (!content_type.empty()) {
    r += "Content-Type: ";
    r += content_type;
    r += "\r\n";
  }
  r += "Content-Length: ";
  r += std::to_string(body.size());
  r += "\r\nConnection: close\r\n";
  r += extra_headers;
  r += "\r\n";
  r += body;
  return r;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

}  // namespace roomcast::http
