// Engine.IO v4 / Socket.IO v5 packet codecs, and the JSON text helpers they rely on
// (validation, string literals, placeholders, array splitting).
#include "sio_packet.h"

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
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return s.size();
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
    auto name = parse_json_string(lit);
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
  append_json_string(out, sid);
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

// Length of the well-formed UTF-8 sequence at p (1-4), 0 if ill-formed (RFC 3629: no
// overlongs, no surrogates, nothing above U+10FFFF).
size_t utf8_sequence(const unsigned char* p, size_t avail) {
  unsigned char c = p[0];
  if (c < 0x80) return 1;
  auto cont = [&](size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return k < avail && p[k] >= lo && p[k] <= hi;
  };
  if (c < 0xC2) return 0;
  if (c < 0xE0) return cont(1) ? 2 : 0;
  if (c < 0xF0) {
    bool ok = c == 0xE0 ? cont(1, 0xA0) : c == 0xED ? cont(1, 0x80, 0x9F) : cont(1);
    return ok && cont(2) ? 3 : 0;
  }
  if (c < 0xF5) {
    bool ok = c == 0xF0 ? cont(1, 0x90) : c == 0xF4 ? cont(1, 0x80, 0x8F) : cont(1);
    return ok && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

// Extra output bytes each ASCII byte costs inside a JSON string literal.
constexpr std::array<uint8_t, 128> kEscapeExtra = [] {
  std::array<uint8_t, 128> t{};
  for (int c = 0; c < 0x20; ++c) t[size_t(c)] = 5;  // \u00xx
  for (char c : {'\b', '\f', '\n', '\r', '\t', '"', '\\'}) t[size_t(c)] = 1;
  return t;
}();

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

// Whether any of 8 bytes needs attention in a string literal: a control character, '"',
// '\\' or a non-ASCII byte. Lets long plain runs go 8 bytes at a time.
bool word_needs_care(const unsigned char* p) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  uint64_t x;
  std::memcpy(&x, p, 8);
  auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  uint64_t below_space = (x - kOnes * 0x20) & ~x & kHigh;
  return (below_space | has_zero(x ^ (kOnes * '"')) | has_zero(x ^ (kOnes * '\\')) |
          (x & kHigh)) != 0;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(char(cp));
  } else if (cp < 0x800) {
    out.push_back(char(0xC0 | (cp >> 6)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(char(0xE0 | (cp >> 12)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(char(0xF0 | (cp >> 18)));
    out.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  }
}

bool hex4(std::string_view s, size_t i, uint32_t& v) {
  if (i + 4 > s.size()) return false;
  v = 0;
  for (size_t k = i; k < i + 4; ++k) {
    char c = s[k];
    int d = is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                                  : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
    if (d < 0) return false;
    v = v * 16 + uint32_t(d);
  }
  return true;
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
  auto name = parse_json_string(literal);
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

size_t json_string_size(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t size = n + 2;
  for (size_t i = 0; i < n;) {
    if (i + 8 <= n && !word_needs_care(p + i)) {
      i += 8;
      continue;
    }
    // Byte by byte up to the next word boundary (a UTF-8 sequence may run past it).
    for (const size_t stop = std::min(n, i + 8); i < stop;) {
      if (p[i] < 0x80) {
        size += kEscapeExtra[p[i++]];
        continue;
      }
      size_t len = utf8_sequence(p + i, n - i);
      if (len == 0) {
        size += 2;  // one bad byte becomes the 3-byte replacement character
        len = 1;
      }
      i += len;
    }
  }
  return size;
}

namespace {

char* write_escape(char* out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  *out++ = '\\';
  switch (c) {
    case '\b': *out++ = 'b'; break;
    case '\f': *out++ = 'f'; break;
    case '\n': *out++ = 'n'; break;
    case '\r': *out++ = 'r'; break;
    case '\t': *out++ = 't'; break;
    case '"': *out++ = '"'; break;
    case '\\': *out++ = '\\'; break;
    default:
      std::memcpy(out, "u00", 3);
      out[3] = kHex[c >> 4];
      out[4] = kHex[c & 0xF];
      out += 5;
  }
  return out;
}

}  // namespace

char* write_json_string(char* out, std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  *out++ = '"';
  for (size_t i = 0; i < n;) {
    if (i + 8 <= n && !word_needs_care(p + i)) {
      std::memcpy(out, p + i, 8);
      out += 8;
      i += 8;
      continue;
    }
    for (const size_t stop = std::min(n, i + 8); i < stop;) {
      unsigned char c = p[i];
      if (c < 0x80) {
        out = kEscapeExtra[c] == 0 ? (*out = char(c), out + 1) : write_escape(out, c);
        ++i;
        continue;
      }
      size_t len = utf8_sequence(p + i, n - i);
      if (len == 0) {
        std::memcpy(out, kReplacement, 3);
        out += 3;
        ++i;
      } else {
        std::memcpy(out, p + i, len);
        out += len;
        i += len;
      }
    }
  }
  *out++ = '"';
  return out;
}

void append_json_string(std::string& out, std::string_view s) {
  size_t at = out.size();
  out.resize(at + json_string_size(s));
  write_json_string(out.data() + at, s);
}

std::optional<std::string> parse_json_string(std::string_view lit) {
  if (lit.size() < 2 || lit.front() != '"' || lit.back() != '"') return std::nullopt;
  const size_t end = lit.size() - 1;  // the closing quote
  std::string out;
  out.reserve(end - 1);
  for (size_t i = 1; i < end; ++i) {
    char c = lit[i];
    if (c == '"' || static_cast<unsigned char>(c) < 0x20) return std::nullopt;
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i >= end) return std::nullopt;
    switch (lit[i]) {
      case '"': case '\\': case '/': out.push_back(lit[i]); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'u': {
        uint32_t cp;
        if (i + 4 >= end || !hex4(lit, i + 1, cp)) return std::nullopt;
        i += 4;
        uint32_t lo;
        if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < end && lit[i + 1] == '\\' &&
            lit[i + 2] == 'u' && hex4(lit, i + 3, lo) && lo >= 0xDC00 && lo < 0xE000) {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          i += 6;
        } else if (cp >= 0xD800 && cp < 0xE000) {
          cp = 0xFFFD;  // a lone surrogate has no UTF-8 form
        }
        append_utf8(out, cp);
        break;
      }
      default: return std::nullopt;
    }
  }
  return out;
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
  append_json_string(out, sid);
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
  append_json_string(out, message);
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
