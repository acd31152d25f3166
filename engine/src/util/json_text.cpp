#include "util/json_text.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace roomcast::json {
namespace {

// Extra output bytes each ASCII byte costs inside a literal.
constexpr std::array<uint8_t, 128> kEscapeExtra = [] {
  std::array<uint8_t, 128> t{};
  for (int c = 0; c < 0x20; ++c) t[size_t(c)] = 5;  // \u00xx
  for (char c : {'\b', '\f', '\n', '\r', '\t', '"', '\\'}) t[size_t(c)] = 1;
  return t;
}();

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

// Whether any of 8 bytes needs attention in a literal: a control character, '"', '\\' or a
// non-ASCII byte. Broadcast payloads are mostly plain text, and this lets the encoder that
// runs once per broadcast go 8 bytes at a time through them.
bool word_needs_care(const unsigned char* p) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  uint64_t x;
  std::memcpy(&x, p, 8);
  auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  uint64_t below_space = (x - kOnes * 0x20) & ~x & kHigh;
  return (below_space | has_zero(x ^ (kOnes * '"')) | has_zero(x ^ (kOnes * '\\')) | (x & kHigh)) != 0;
}

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

bool hex4(std::string_view s, size_t i, uint32_t& v) {
  if (i + 4 > s.size()) return false;
  v = 0;
  for (size_t k = i; k < i + 4; ++k) {
    const char c = s[k];
    const int d = (c >= '0' && c <= '9')   ? c - '0'
                  : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                  : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                           : -1;
    if (d < 0) return false;
    v = v * 16 + uint32_t(d);
  }
  return true;
}

}  // namespace

size_t utf8_sequence(const unsigned char* p, size_t avail) {
  const unsigned char c = p[0];
  if (c < 0x80) return 1;
  auto cont = [&](size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return k < avail && p[k] >= lo && p[k] <= hi;
  };
  if (c < 0xC2) return 0;
  if (c < 0xE0) return cont(1) ? 2 : 0;
  if (c < 0xF0) {
    const bool ok = c == 0xE0 ? cont(1, 0xA0) : c == 0xED ? cont(1, 0x80, 0x9F) : cont(1);
    return ok && cont(2) ? 3 : 0;
  }
  if (c < 0xF5) {
    const bool ok = c == 0xF0 ? cont(1, 0x90) : c == 0xF4 ? cont(1, 0x80, 0x8F) : cont(1);
    return ok && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
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

size_t string_size(std::string_view s) {
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

char* write_string(char* out, std::string_view s) {
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
      const unsigned char c = p[i];
      if (c < 0x80) {
        out = kEscapeExtra[c] == 0 ? (*out = char(c), out + 1) : write_escape(out, c);
        ++i;
        continue;
      }
      const size_t len = utf8_sequence(p + i, n - i);
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

void append_string(std::string& out, std::string_view s) {
  const size_t at = out.size();
  out.resize(at + string_size(s));
  write_string(out.data() + at, s);
}

std::optional<std::string> parse_string(std::string_view lit) {
  if (lit.size() < 2 || lit.front() != '"' || lit.back() != '"') return std::nullopt;
  const size_t end = lit.size() - 1;  // the closing quote
  const auto* p = reinterpret_cast<const unsigned char*>(lit.data());
  std::string out;
  out.reserve(end - 1);
  for (size_t i = 1; i < end; ++i) {
    const unsigned char c = p[i];
    if (c == '"' || c < 0x20) return std::nullopt;
    if (c >= 0x80) {
      const size_t len = utf8_sequence(p + i, end - i);
      if (len == 0) {
        out += kReplacement;
      } else {
        out.append(lit.data() + i, len);
        i += len - 1;
      }
      continue;
    }
    if (c != '\\') {
      out.push_back(char(c));
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
        if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < end && lit[i + 1] == '\\' && lit[i + 2] == 'u' &&
            hex4(lit, i + 3, lo) && lo >= 0xDC00 && lo < 0xE000) {
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

size_t string_end(std::string_view s, size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

}  // namespace roomcast::json
