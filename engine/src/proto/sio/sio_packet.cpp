// Engine.IO v4 / Socket.IO v5 packet codecs, and the JSON text helpers they rely on
// (validation, string literals, placeholders, array splitting).
#include "proto/sio/sio_packet.h"

#include "util/json_text.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>
#include <memory>

namespace roomcast::sio {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t skip_ws(std::string_view s, size_t i) {
  while (i < s.size() && is_ws(s[i])) ++i;
  return i;
}

std::string_view trim(std::string_view s) {
  size_t b = skip_ws(s, 0);
  size_t e = s.size();
  while (e > b && is_ws(s[e - 1])) --e;
  return s.substr(b, e - b);
}

// Index just past the string literal whose opening quote is s[i]; s.size() if it never
// closes (only possible on unvalidated input).
size_t skip_string(std::string_view s, size_t i) {
  const size_t end = json::string_end(s, i);
  return end == std::string_view::npos ? s.size() : end;
}

// End of the value starting at s[i]: the first ',', ']' or '}' outside strings at depth 0.
size_t skip_value(std::string_view s, size_t i) {
  size_t depth = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '"') {
      i = skip_string(s, i);
      continue;
    }
    if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      if (depth == 0) break;
      --depth;
    } else if (c == ',' && depth == 0) {
      break;
    }
    ++i;
  }
  return i;
}

// The namespace part of an encoded packet: "/" (and "") are implicit.
void append_nsp(std::string& out, std::string_view nsp) {
  if (nsp.empty() || nsp == "/") return;
  out.append(nsp);
  out.push_back(',');
}

template <class T>
void append_number(std::string& out, T v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, size_t(r.ptr - buf));
}

// Shape rule of EVENT payloads: the first element names the event. `array` is valid JSON.
DecodeError check_event_name(std::string_view array) {
  size_t i = skip_ws(array, 1);
  if (i >= array.size() || array[i] == ']') return DecodeError::InvalidPayload;
  char c = array[i];
  if (c == '-' || is_digit(c)) return DecodeError::None;
  if (c != '"') return DecodeError::InvalidPayload;
  std::string_view lit = array.substr(i, skip_string(array, i) - i);
  bool reserved;
  if (lit.find('\\') == std::string_view::npos) {
    reserved = is_reserved_event(lit.substr(1, lit.size() - 2));
  } else {  // an escaped spelling still names the same event in JavaScript
    auto name = json::parse_string(lit);
    reserved = name && is_reserved_event(*name);
  }
  return reserved ? DecodeError::ReservedEventName : DecodeError::None;
}

DecodeError check_shape(Type type, std::string_view data) {
  char first = data.empty() ? '\0' : data[0];
  switch (type) {
    case Type::Connect:
      return (first == '\0' || first == '{') ? DecodeError::None : DecodeError::InvalidPayload;
    case Type::Disconnect:
      return first == '\0' ? DecodeError::None : DecodeError::InvalidPayload;
    case Type::Event:
    case Type::BinaryEvent:
      return first == '[' ? check_event_name(data) : DecodeError::InvalidPayload;
    case Type::Ack:
    case Type::BinaryAck:
      return first == '[' ? DecodeError::None : DecodeError::InvalidPayload;
    case Type::ConnectError:
      return (first == '{' || first == '"') ? DecodeError::None : DecodeError::InvalidPayload;
  }
  return DecodeError::InvalidPayload;
}

}  // namespace

std::optional<EioPacket> parse_eio_text(std::string_view text) {
  if (text.empty() || text[0] < '0' || text[0] > '6') return std::nullopt;
  return EioPacket{EioType(text[0] - '0'), text.substr(1)};
}

std::string encode_eio_open(std::string_view sid, bool offer_websocket_upgrade,
                            uint32_t ping_interval_ms, uint32_t ping_timeout_ms,
                            uint64_t max_payload) {
  std::string out;
  out.reserve(112 + sid.size());
  out.append("0{\"sid\":");
  json::append_string(out, sid);
  out.append(offer_websocket_upgrade ? ",\"upgrades\":[\"websocket\"]" : ",\"upgrades\":[]");
  out.append(",\"pingInterval\":");
  append_number(out, ping_interval_ms);
  out.append(",\"pingTimeout\":");
  append_number(out, ping_timeout_ms);
  out.append(",\"maxPayload\":");
  append_number(out, max_payload);
  out.push_back('}');
  return out;
}

const char* to_string(DecodeError e) {
  switch (e) {
    case DecodeError::None: return "none";
    case DecodeError::Empty: return "empty packet";
    case DecodeError::UnknownType: return "unknown packet type";
    case DecodeError::BadAttachments: return "illegal attachments";
    case DecodeError::TooManyAttachments: return "too many attachments";
    case DecodeError::BadNamespace: return "bad namespace";
    case DecodeError::BadAckId: return "bad ack id";
    case DecodeError::BadJson: return "invalid JSON";
    case DecodeError::InvalidPayload: return "invalid payload";
    case DecodeError::ReservedEventName: return "reserved event name";
  }
  return "unknown error";
}

bool is_reserved_event(std::string_view name) {
  return name == "connect" || name == "connect_error" || name == "disconnect" ||
         name == "disconnecting" || name == "newListener" || name == "removeListener";
}

DecodeError decode(std::string_view text, Packet& out, uint32_t max_attachments) {
  out = Packet{};
  const size_t n = text.size();
  if (n == 0) return DecodeError::Empty;
  if (text[0] < '0' || text[0] > '6') return DecodeError::UnknownType;
  out.type = Type(text[0] - '0');
  size_t i = 1;

  size_t d = i;
  while (d < n && is_digit(text[d])) ++d;
  if (out.type == Type::BinaryEvent || out.type == Type::BinaryAck) {
    if (d == i || d == n || text[d] != '-') return DecodeError::BadAttachments;
    uint64_t count = 0;
    for (size_t k = i; k < d; ++k) {
      count = count * 10 + uint64_t(text[k] - '0');
      if (count > max_attachments) return DecodeError::TooManyAttachments;
    }
    out.attachments = uint32_t(count);
    i = d + 1;
  } else if (d > i && d < n && text[d] == '-') {
    return DecodeError::BadAttachments;
  }

  // Like socket.io-parser, the namespace runs to the first ',' or to the end (`40/admin`).
  if (i < n && text[i] == '/') {
    size_t comma = text.find(',', i);
    size_t end = comma == std::string_view::npos ? n : comma;
    out.nsp = text.substr(i, end - i);
    for (char c : out.nsp) {
      if (static_cast<unsigned char>(c) < 0x20) return DecodeError::BadNamespace;
    }
    i = comma == std::string_view::npos ? n : comma + 1;
  }

  // 15 digits always fit in a JavaScript number exactly, so the id survives the round trip.
  d = i;
  while (d < n && is_digit(text[d])) ++d;
  if (d > i) {
    if (d - i > 15) return DecodeError::BadAckId;
    uint64_t id = 0;
    for (size_t k = i; k < d; ++k) id = id * 10 + uint64_t(text[k] - '0');
    out.ack_id = id;
    i = d;
  }

  if (i < n) {
    std::string_view payload = text.substr(i);
    if (!json_valid(payload)) return DecodeError::BadJson;
    out.data = trim(payload);
  }
  if (DecodeError e = check_shape(out.type, out.data); e != DecodeError::None) return e;
  // Non-binary packets must not hold placeholders either: forwarded into a binary packet
  // they would be taken for attachments by the receiver.
  if (!out.data.empty() && !placeholders_valid(out.data, out.attachments)) {
    return DecodeError::InvalidPayload;
  }
  return DecodeError::None;
}

bool split_array(std::string_view a, std::vector<std::string_view>& out) {
  out.clear();
  const size_t n = a.size();
  size_t i = skip_ws(a, 0);
  if (i >= n || a[i] != '[') return false;
  i = skip_ws(a, i + 1);
  if (i < n && a[i] == ']') return true;
  while (i < n) {
    size_t e = skip_value(a, i);
    out.push_back(trim(a.substr(i, e - i)));
    if (e >= n) return false;
    if (a[e] == ']') return true;
    if (a[e] != ',') return false;
    i = skip_ws(a, e + 1);
  }
  return false;
}

// ---- JSON text ----

namespace {

// Strict RFC 8259 grammar check, used only when simdjson refuses a text that JSON.parse
// accepts: integers beyond 64 bits, exponents beyond double range, and lone surrogate
// escapes (a JavaScript string cut in the middle of an emoji serialises as "\ud83d").
size_t string_end_checked(std::string_view s, size_t i) {
  for (++i; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '"') return i + 1;
    if (c < 0x20) return std::string_view::npos;
    if (c != '\\') continue;
    if (++i >= s.size()) return std::string_view::npos;
    if (s[i] == 'u') {
      for (int k = 0; k < 4; ++k) {
        if (++i >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i]))) {
          return std::string_view::npos;
        }
      }
    } else if (std::strchr("\"\\/bfnrt", s[i]) == nullptr || s[i] == '\0') {
      return std::string_view::npos;
    }
  }
  return std::string_view::npos;
}

size_t number_end_checked(std::string_view s, size_t i) {
  const size_t n = s.size();
  auto digits = [&](size_t j) {
    size_t k = j;
    while (k < n && is_digit(s[k])) ++k;
    return k;
  };
  if (i < n && s[i] == '-') ++i;
  if (i >= n || !is_digit(s[i])) return std::string_view::npos;
  i = s[i] == '0' ? i + 1 : digits(i);
  if (i < n && s[i] == '.') {
    size_t k = digits(i + 1);
    if (k == i + 1) return std::string_view::npos;
    i = k;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    size_t k = digits(i);
    if (k == i) return std::string_view::npos;
    i = k;
  }
  return i;
}

constexpr size_t kMaxDepth = 1024;  // simdjson's default, so both paths agree

bool grammar_valid(std::string_view s) {
  const size_t n = s.size();
  std::vector<char> open;  // '{' or '[' per enclosing container
  size_t i = skip_ws(s, 0);
  bool want_key = false;
  for (;;) {
    if (want_key) {
      if (i >= n || s[i] != '"') return false;
      i = string_end_checked(s, i);
      if (i == std::string_view::npos) return false;
      i = skip_ws(s, i);
      if (i >= n || s[i] != ':') return false;
      i = skip_ws(s, i + 1);
      want_key = false;
    }
    if (i >= n) return false;
    char c = s[i];
    if (c == '{' || c == '[') {
      if (open.size() >= kMaxDepth) return false;
      i = skip_ws(s, i + 1);
      if (i < n && s[i] == (c == '{' ? '}' : ']')) {
        ++i;
      } else {
        open.push_back(c);
        want_key = c == '{';
        continue;
      }
    } else if (c == '"') {
      i = string_end_checked(s, i);
    } else if (c == '-' || is_digit(c)) {
      i = number_end_checked(s, i);
    } else {
      std::string_view word = c == 't' ? "true" : c == 'f' ? "false" : "null";
      if (s.substr(i, word.size()) != word) return false;
      i += word.size();
    }
    if (i == std::string_view::npos) return false;
    for (;;) {  // after a value: close finished containers, or move to the next element
      i = skip_ws(s, i);
      if (open.empty()) return i == n;
      if (i >= n) return false;
      if (s[i] == ',') {
        i = skip_ws(s, i + 1);
        want_key = open.back() == '{';
        break;
      }
      if (s[i] != (open.back() == '{' ? '}' : ']')) return false;
      open.pop_back();
      ++i;
    }
  }
}

// `{"_placeholder":true,"num":N}` starting at s[pos] == '{'; N has 1 to 9 digits.
bool match_placeholder(std::string_view s, size_t pos, Placeholder& out) {
  size_t i = pos + 1;
  auto expect = [&](std::string_view tok) {
    i = skip_ws(s, i);
    if (s.substr(i, tok.size()) != tok) return false;
    i += tok.size();
    return true;
  };
  if (!expect("\"_placeholder\"") || !expect(":") || !expect("true") || !expect(",") ||
      !expect("\"num\"") || !expect(":")) {
    return false;
  }
  i = skip_ws(s, i);
  size_t d = i;
  uint32_t num = 0;
  while (d < s.size() && is_digit(s[d]) && d - i < 9) num = num * 10 + uint32_t(s[d++] - '0');
  if (d == i || (s[i] == '0' && d - i > 1)) return false;
  i = d;
  if (!expect("}")) return false;
  out = Placeholder{pos, i, num};
  return true;
}

bool names_placeholder(std::string_view literal) {
  constexpr std::string_view kKey = "\"_placeholder\"";
  if (literal.find('\\') == std::string_view::npos) return literal == kKey;
  if (literal.size() > 2 + 6 * 12) return false;  // longer than every escaped spelling
  auto name = json::parse_string(literal);
  return name && *name == kKey.substr(1, kKey.size() - 2);
}

}  // namespace

bool json_valid(std::string_view json) {
  // simdjson reads up to SIMDJSON_PADDING bytes past the end, so parse from a
  // per-thread padded copy; parser and buffer are reused, so the steady state allocates
  // nothing.
  thread_local simdjson::dom::parser parser;
  thread_local std::unique_ptr<char[]> buf;
  thread_local size_t cap = 0;
  const size_t need = json.size() + simdjson::SIMDJSON_PADDING;
  if (cap < need) {
    buf.reset(new char[need]);
    cap = need;
  }
  std::memcpy(buf.get(), json.data(), json.size());
  std::memset(buf.get() + json.size(), 0, simdjson::SIMDJSON_PADDING);
  auto err = parser.parse(buf.get(), json.size(), false).error();
  if (err == simdjson::SUCCESS) return true;
  if (err == simdjson::NUMBER_ERROR || err == simdjson::STRING_ERROR) {
    return simdjson::validate_utf8(json) && grammar_valid(json);
  }
  return false;
}

bool PlaceholderScanner::next(Placeholder& out) {
  const size_t n = s_.size();
  while (!bad_ && pos_ < n) {
    char c = s_[pos_];
    if (c == '"') {
      size_t e = skip_string(s_, pos_);
      std::string_view literal = s_.substr(pos_, e - pos_);
      pos_ = e;
      size_t k = skip_ws(s_, e);
      if (k < n && s_[k] == ':' && names_placeholder(literal)) bad_ = true;
    } else if (c == '{' && match_placeholder(s_, pos_, out)) {
      pos_ = out.end;
      return true;
    } else {
      ++pos_;
    }
  }
  return false;
}

bool may_hold_placeholders(std::string_view json) {
  return json.find("_placeholder") != std::string_view::npos ||
         json.find("\\u") != std::string_view::npos;
}

std::optional<uint32_t> as_placeholder(std::string_view json) {
  std::string_view t = trim(json);
  Placeholder p;
  if (t.empty() || t[0] != '{' || !match_placeholder(t, 0, p) || p.end != t.size()) {
    return std::nullopt;
  }
  return p.num;
}

bool placeholders_valid(std::string_view json, uint32_t attachments) {
  if (!may_hold_placeholders(json)) return attachments == 0;
  uint64_t seen_small = 0;  // up to 64 attachments without allocating
  std::vector<bool> seen_big(attachments > 64 ? attachments : 0);
  PlaceholderScanner scan(json);
  Placeholder p;
  uint32_t count = 0;
  while (scan.next(p)) {
    if (p.num >= attachments) return false;
    if (attachments > 64) {
      if (seen_big[p.num]) return false;
      seen_big[p.num] = true;
    } else {
      uint64_t bit = uint64_t(1) << p.num;
      if (seen_small & bit) return false;
      seen_small |= bit;
    }
    ++count;
  }
  return !scan.bad() && count == attachments;
}

// ---- Socket.IO replies ----

std::string encode_connect_ok(std::string_view nsp, std::string_view sid) {
  std::string out;
  out.reserve(16 + nsp.size() + sid.size());
  out.push_back('0');
  append_nsp(out, nsp);
  out.append("{\"sid\":");
  json::append_string(out, sid);
  out.push_back('}');
  return out;
}

std::string encode_connect_error(std::string_view nsp, std::string_view message,
                                 std::string_view data_json) {
  std::string out;
  out.reserve(24 + nsp.size() + message.size() + data_json.size());
  out.push_back('4');
  append_nsp(out, nsp);
  out.append("{\"message\":");
  json::append_string(out, message);
  if (!data_json.empty()) {
    out.append(",\"data\":");
    out.append(data_json);
  }
  out.push_back('}');
  return out;
}

std::string encode_disconnect(std::string_view nsp) {
  std::string out("1");
  append_nsp(out, nsp);
  return out;
}

}  // namespace roomcast::sio
