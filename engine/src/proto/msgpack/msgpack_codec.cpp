#include "proto/msgpack/msgpack_codec.h"

#include "util/civil_date.h"
#include "util/json_text.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace roomcast::detail::mp {

namespace {

uint64_t be(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = v << 8 | p[i];
  return v;
}

void put_be(std::string& out, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) out.push_back(char(uint8_t(v >> (8 * i))));
}

}  // namespace

// ---------------------------------------------------------------- Reader

bool Reader::take(size_t n, const uint8_t** at) {
  if (!ok_ || size_t(end_ - p_) < n) return fail();
  *at = p_;
  p_ += n;
  return true;
}

bool Reader::next(Head& h) {
  const uint8_t* q;
  if (!take(1, &q)) return false;
  const uint8_t b = *q;
  h = Head{};
  auto body = [&](uint64_t n) {
    const uint8_t* d;
    if (!take(n, &d)) return false;
    h.len = uint32_t(n);
    h.body = std::string_view(reinterpret_cast<const char*>(d), n);
    return true;
  };
  auto sized = [&](int n, uint64_t* v) {
    const uint8_t* d;
    if (!take(size_t(n), &d)) return false;
    *v = be(d, n);
    return true;
  };
  uint64_t v = 0;
  if (b <= 0x7f) { h.kind = Kind::Uint; h.u = b; return true; }
  if (b >= 0xe0) { h.kind = Kind::Int; h.i = int8_t(b); return true; }
  if (b <= 0x8f) { h.kind = Kind::Map; h.len = b & 0x0f; return true; }
  if (b <= 0x9f) { h.kind = Kind::Array; h.len = b & 0x0f; return true; }
  if (b <= 0xbf) { h.kind = Kind::Str; return body(b & 0x1f); }
  switch (b) {
    case 0xc0: h.kind = Kind::Nil; return true;
    case 0xc2: case 0xc3: h.kind = Kind::Bool; h.b = b == 0xc3; return true;
    case 0xc4: case 0xc5: case 0xc6:
      h.kind = Kind::Bin;
      return sized(1 << (b - 0xc4), &v) && body(v);
    case 0xc7: case 0xc8: case 0xc9: {
      h.kind = Kind::Ext;
      if (!sized(1 << (b - 0xc7), &v)) return false;
      uint64_t t;
      if (!sized(1, &t)) return false;
      h.ext_type = int8_t(t);
      return body(v);
    }
    case 0xca: {
      if (!sized(4, &v)) return false;
      float f;
      uint32_t w = uint32_t(v);
      std::memcpy(&f, &w, 4);
      h.kind = Kind::Float;
      h.f = f;
      return true;
    }
    case 0xcb:
      if (!sized(8, &v)) return false;
      std::memcpy(&h.f, &v, 8);
      h.kind = Kind::Float;
      return true;
    case 0xcc: case 0xcd: case 0xce: case 0xcf:
      h.kind = Kind::Uint;
      return sized(1 << (b - 0xcc), &h.u);
    case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
      const int n = 1 << (b - 0xd0);
      if (!sized(n, &v)) return false;
      h.kind = Kind::Int;
      h.i = n == 8 ? int64_t(v) : int64_t(v << (64 - 8 * n)) >> (64 - 8 * n);
      return true;
    }
    case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: {
      uint64_t t;
      if (!sized(1, &t)) return false;
      h.ext_type = int8_t(t);
      if (!body(uint64_t(1) << (b - 0xd4))) return false;
      // notepack writes undefined as fixext1 of type 0.
      h.kind = (b == 0xd4 && h.ext_type == 0) ? Kind::Undefined : Kind::Ext;
      h.b = true;  // fixext: matters for notepack's type-0 special cases
      return true;
    }
    case 0xd9: case 0xda: case 0xdb:
      h.kind = Kind::Str;
      return sized(1 << (b - 0xd9), &v) && body(v);
    case 0xdc: case 0xdd:
      h.kind = Kind::Array;
      if (!sized(b == 0xdc ? 2 : 4, &v)) return false;
      h.len = uint32_t(v);
      return true;
    case 0xde: case 0xdf:
      h.kind = Kind::Map;
      if (!sized(b == 0xde ? 2 : 4, &v)) return false;
      h.len = uint32_t(v);
      return true;
    default:  // 0xc1 is never used
      return fail();
  }
}

bool Reader::skip() { return skip_depth(0); }

bool Reader::skip_children(const Head& h) { return skip_items(h, 1); }

bool Reader::skip_depth(int depth) {
  if (depth > kMaxDepth) return fail();
  Head h;
  return next(h) && skip_items(h, depth);
}

bool Reader::skip_items(const Head& h, int depth) {
  // Each item takes at least one byte, so a hostile count ends at the input's end.
  uint64_t items = h.kind == Kind::Array ? h.len : h.kind == Kind::Map ? uint64_t(h.len) * 2 : 0;
  for (uint64_t i = 0; i < items; ++i)
    if (!skip_depth(depth + 1)) return false;
  return true;
}

bool Reader::string(std::string& out) {
  Head h;
  if (!next(h)) return false;
  out.clear();
  if (h.kind == Kind::Str) {
    out.assign(h.body);
    return true;
  }
  char buf[24];
  if (h.kind == Kind::Uint) {
    out.assign(buf, std::to_chars(buf, buf + sizeof buf, h.u).ptr);
    return true;
  }
  if (h.kind == Kind::Int) {
    out.assign(buf, std::to_chars(buf, buf + sizeof buf, h.i).ptr);
    return true;
  }
  return fail();
}

// ---------------------------------------------------------------- JSON text helpers

void append_js_number(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  if (v == 0) {  // -0 prints as 0 in JS
    out.push_back('0');
    return;
  }
  if (v < 0) {
    out.push_back('-');
    v = -v;
  }
  // Shortest round-trip digits in scientific form, then laid out by the ECMAScript
  // Number::toString rules (fixed notation for exponents in [-7, 21)).
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci(buf, size_t(r.ptr - buf));
  const size_t epos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, epos))
    if (c != '.') digits.push_back(c);
  int e = 0;
  std::from_chars(sci.data() + epos + (sci[epos + 1] == '+' ? 2 : 1), sci.data() + sci.size(), e);
  const int k = int(digits.size());
  const int n = e + 1;
  if (k <= n && n <= 21) {
    out += digits;
    out.append(size_t(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, 0, size_t(n));
    out.push_back('.');
    out.append(digits, size_t(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(size_t(-n), '0');
    out += digits;
  } else {
    out.push_back(digits[0]);
    if (k > 1) {
      out.push_back('.');
      out.append(digits, 1);
    }
    out.push_back('e');
    out.push_back(n - 1 < 0 ? '-' : '+');
    char eb[8];
    out.append(eb, std::to_chars(eb, eb + sizeof eb, std::abs(n - 1)).ptr);
  }
}

// ---------------------------------------------------------------- msgpack -> JSON

namespace {

void append_placeholder(std::string& json, std::vector<std::string>& attachments, std::string_view bytes) {
  json += "{\"_placeholder\":true,\"num\":";
  char b[24];
  json.append(b, std::to_chars(b, b + sizeof b, attachments.size()).ptr);
  json.push_back('}');
  attachments.emplace_back(bytes);
}

// Date.prototype.toJSON for a time value in ms (already truncated): ISO 8601, or null
// outside the range a JS Date can hold.
void append_iso_date(std::string& out, double ms) {
  if (!std::isfinite(ms) || std::fabs(ms) > 8.64e15) {
    out += "null";
    return;
  }
  const int64_t t = int64_t(ms);
  int64_t days = t / 86400000, rem = t % 86400000;
  if (rem < 0) {
    rem += 86400000;
    --days;
  }
  const detail::CivilDate date = detail::civil_from_days(days);
  const int64_t y = date.year;
  const int m = date.month, d = date.day;
  char buf[48];
  int len;
  const int hh = int(rem / 3600000), mi = int(rem / 60000 % 60), ss = int(rem / 1000 % 60),
            mss = int(rem % 1000);
  if (y >= 0 && y <= 9999) {
    len = std::snprintf(buf, sizeof buf, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"", int(y), int(m), int(d),
                        hh, mi, ss, mss);
  } else {
    len = std::snprintf(buf, sizeof buf, "\"%c%06lld-%02d-%02dT%02d:%02d:%02d.%03dZ\"", y < 0 ? '-' : '+',
                        static_cast<long long>(y < 0 ? -y : y), int(m), int(d), hh, mi, ss, mss);
  }
  out.append(buf, size_t(len));
}

// An ext value as notepack.decode returns it: a Date, an ArrayBuffer or [type, Buffer].
bool ext_to_json(const Head& h, std::string& json, std::vector<std::string>& attachments, int depth) {
  const auto* d = reinterpret_cast<const uint8_t*>(h.body.data());
  const bool fixext = h.b;
  if (!fixext && h.ext_type == 0) {
    append_placeholder(json, attachments, h.body);
    return true;
  }
  if (h.ext_type == -1 && h.len == 4 && fixext) {
    append_iso_date(json, double(be(d, 4)) * 1e3);
    return true;
  }
  if (h.ext_type == -1 && h.len == 8 && fixext) {
    const uint64_t hi = be(d, 4), lo = be(d + 4, 4);
    const double s = double(hi & 3) * 4294967296.0 + double(lo);
    append_iso_date(json, std::trunc(s * 1e3 + double(hi >> 2) / 1e6));
    return true;
  }
  if (h.ext_type == -1 && !fixext && h.len == 12 && h.body.size() == 12) {
    const double ns = double(be(d, 4));
    const double hi = double(int32_t(be(d + 4, 4))), lo = double(be(d + 8, 4));
    append_iso_date(json, std::trunc((hi * 4294967296.0 + lo) * 1e3 + ns / 1e6));
    return true;
  }
  if (h.ext_type == 0 && h.len == 8 && fixext) {  // notepack's legacy date: int64 ms
    const double hi = double(int32_t(be(d, 4))), lo = double(be(d + 4, 4));
    append_iso_date(json, std::trunc(hi * 4294967296.0 + lo));
    return true;
  }
  if (h.ext_type == -1 && !fixext) return false;  // notepack misreads these; refuse
  // [type, <bytes>] nests one level below the ext itself: refused at the depth limit, as the
  // JSON reader (json_to_msgpack) would refuse what we wrote, and the two must agree.
  if (depth + 1 > kMaxDepth) return false;
  json.push_back('[');
  append_js_number(json, h.ext_type);
  json.push_back(',');
  append_placeholder(json, attachments, h.body);
  json.push_back(']');
  return true;
}

bool value_to_json(Reader& r, const Head& h, std::string& json, std::vector<std::string>& attachments,
                   int depth);

bool item_to_json(Reader& r, std::string& json, std::vector<std::string>& attachments, int depth) {
  Head h;
  return r.next(h) && value_to_json(r, h, json, attachments, depth);
}

bool value_to_json(Reader& r, const Head& h, std::string& json, std::vector<std::string>& attachments,
                   int depth) {
  if (depth > kMaxDepth) return false;
  switch (h.kind) {
    case Kind::Nil:
    case Kind::Undefined: json += "null"; return true;
    case Kind::Bool: json += h.b ? "true" : "false"; return true;
    case Kind::Int: append_js_number(json, double(h.i)); return true;
    case Kind::Uint: append_js_number(json, double(h.u)); return true;
    case Kind::Float: append_js_number(json, h.f); return true;
    case Kind::Str: json::append_string(json, h.body); return true;
    case Kind::Bin: append_placeholder(json, attachments, h.body); return true;
    case Kind::Ext: return ext_to_json(h, json, attachments, depth);
    case Kind::Array:
      json.push_back('[');
      for (uint32_t i = 0; i < h.len; ++i) {
        if (i) json.push_back(',');
        if (!item_to_json(r, json, attachments, depth + 1)) return false;
      }
      json.push_back(']');
      return true;
    case Kind::Map: {
      json.push_back('{');
      bool first = true;
      std::string key;
      for (uint32_t i = 0; i < h.len; ++i) {
        if (!r.string(key)) return false;
        Head v;
        if (!r.next(v)) return false;
        if (v.kind == Kind::Undefined) continue;  // JSON.stringify drops undefined members
        if (!first) json.push_back(',');
        first = false;
        json::append_string(json, key);
        json.push_back(':');
        if (!value_to_json(r, v, json, attachments, depth + 1)) return false;
      }
      json.push_back('}');
      return true;
    }
  }
  return false;
}

}  // namespace

bool to_json(Reader& r, std::string& json, std::vector<std::string>& attachments) {
  return item_to_json(r, json, attachments, 0);
}

// ---------------------------------------------------------------- writing

void put_nil(std::string& out) { out.push_back(char(0xc0)); }
void put_bool(std::string& out, bool v) { out.push_back(char(v ? 0xc3 : 0xc2)); }

void put_int(std::string& out, int64_t v) {
  if (v >= 0) {
    const uint64_t u = uint64_t(v);
    if (u < 0x80) { out.push_back(char(u)); }
    else if (u < 0x100) { out.push_back(char(0xcc)); put_be(out, u, 1); }
    else if (u < 0x10000) { out.push_back(char(0xcd)); put_be(out, u, 2); }
    else if (u < 0x100000000) { out.push_back(char(0xce)); put_be(out, u, 4); }
    else { out.push_back(char(0xcf)); put_be(out, u, 8); }
  } else {
    if (v >= -32) { out.push_back(char(int8_t(v))); }
    else if (v >= -128) { out.push_back(char(0xd0)); put_be(out, uint64_t(v), 1); }
    else if (v >= -32768) { out.push_back(char(0xd1)); put_be(out, uint64_t(v), 2); }
    else if (v >= INT32_MIN) { out.push_back(char(0xd2)); put_be(out, uint64_t(v), 4); }
    else { out.push_back(char(0xd3)); put_be(out, uint64_t(v), 8); }
  }
}

void put_double(std::string& out, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  out.push_back(char(0xcb));
  put_be(out, bits, 8);
}

static void put_sized(std::string& out, uint8_t base8, size_t n) {
  if (n < 0x100) { out.push_back(char(base8)); put_be(out, n, 1); }
  else if (n < 0x10000) { out.push_back(char(base8 + 1)); put_be(out, n, 2); }
  else { out.push_back(char(base8 + 2)); put_be(out, n, 4); }
}

void put_str(std::string& out, std::string_view s) {
  if (s.size() < 32) out.push_back(char(0xa0 | s.size()));
  else put_sized(out, 0xd9, s.size());
  out.append(s);
}

void put_bin(std::string& out, std::string_view bytes) {
  put_sized(out, 0xc4, bytes.size());
  out.append(bytes);
}

void put_array(std::string& out, uint32_t n) {
  if (n < 16) { out.push_back(char(0x90 | n)); }
  else if (n < 0x10000) { out.push_back(char(0xdc)); put_be(out, n, 2); }
  else { out.push_back(char(0xdd)); put_be(out, n, 4); }
}

void put_map(std::string& out, uint32_t n) {
  if (n < 16) { out.push_back(char(0x80 | n)); }
  else if (n < 0x10000) { out.push_back(char(0xde)); put_be(out, n, 2); }
  else { out.push_back(char(0xdf)); put_be(out, n, 4); }
}

// ---------------------------------------------------------------- JSON -> msgpack

namespace {

class JsonToMp {
 public:
  JsonToMp(std::string_view j, std::string& out, const std::vector<std::string>* att)
      : s_(j), out_(out), att_(att) {}

  bool run() {
    if (!value(0)) return false;
    ws();
    return i_ == s_.size();
  }

 private:
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool lit(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }

  bool value(int depth) {
    if (depth > kMaxDepth) return false;
    ws();
    if (i_ >= s_.size()) return false;
    switch (s_[i_]) {
      case '{': return object(depth);
      case '[': return array(depth);
      case '"': {
        std::string str;
        if (!string(str)) return false;
        put_str(out_, str);
        return true;
      }
      case 't': if (!lit("true")) return false; put_bool(out_, true); return true;
      case 'f': if (!lit("false")) return false; put_bool(out_, false); return true;
      case 'n': if (!lit("null")) return false; put_nil(out_); return true;
      default: return number();
    }
  }

  // Containers get a 5-byte header while counting; it shrinks to the smallest form after.
  void patch(size_t at, uint32_t n, bool is_map) {
    std::string h;
    if (is_map) put_map(h, n); else put_array(h, n);
    out_.replace(at, 5, h);
  }

  bool placeholder() {
    static constexpr std::string_view pre = "{\"_placeholder\":true,\"num\":";
    if (s_.substr(i_, pre.size()) != pre) return false;
    size_t j = i_ + pre.size();
    uint64_t k = 0;
    const auto r = std::from_chars(s_.data() + j, s_.data() + s_.size(), k);
    if (r.ec != std::errc() || r.ptr == s_.data() + s_.size() || *r.ptr != '}') return false;
    i_ = size_t(r.ptr - s_.data()) + 1;
    if (att_ && k < att_->size()) put_bin(out_, (*att_)[k]);
    else put_nil(out_);
    return true;
  }

  bool object(int depth) {
    if (placeholder()) return true;
    ++i_;
    const size_t at = out_.size();
    out_.append(5, '\0');
    uint32_t n = 0;
    ws();
    if (i_ < s_.size() && s_[i_] == '}') {
      ++i_;
      patch(at, 0, true);
      return true;
    }
    std::string key;
    for (;;) {
      ws();
      if (i_ >= s_.size() || s_[i_] != '"' || !string(key)) return false;
      put_str(out_, key);
      ws();
      if (i_ >= s_.size() || s_[i_] != ':') return false;
      ++i_;
      if (!value(depth + 1)) return false;
      ++n;
      ws();
      if (i_ >= s_.size()) return false;
      if (s_[i_] == ',') { ++i_; continue; }
      if (s_[i_] != '}') return false;
      ++i_;
      break;
    }
    patch(at, n, true);
    return true;
  }

  bool array(int depth) {
    ++i_;
    const size_t at = out_.size();
    out_.append(5, '\0');
    uint32_t n = 0;
    ws();
    if (i_ < s_.size() && s_[i_] == ']') {
      ++i_;
      patch(at, 0, false);
      return true;
    }
    for (;;) {
      if (!value(depth + 1)) return false;
      ++n;
      ws();
      if (i_ >= s_.size()) return false;
      if (s_[i_] == ',') { ++i_; continue; }
      if (s_[i_] != ']') return false;
      ++i_;
      break;
    }
    patch(at, n, false);
    return true;
  }

  bool string(std::string& out) {
    const size_t end = json::string_end(s_, i_);
    if (end == std::string_view::npos) return false;
    auto v = json::parse_string(s_.substr(i_, end - i_));
    if (!v) return false;
    out = std::move(*v);
    i_ = end;
    return true;
  }

  bool number() {
    const size_t start = i_;
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    auto digits = [&] {
      const size_t b = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      return i_ - b;
    };
    const size_t int_start = i_;
    const size_t nint = digits();
    if (nint == 0 || (nint > 1 && s_[int_start] == '0')) return false;
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (digits() == 0) return false;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (digits() == 0) return false;
    }
    double v = 0;
    const auto r = std::from_chars(s_.data() + start, s_.data() + i_, v);
    // Out-of-range literals become +-Infinity or 0 in JS, as strtod gives them.
    if (r.ec == std::errc::result_out_of_range) v = std::strtod(std::string(s_.substr(start, i_ - start)).c_str(), nullptr);
    else if (r.ec != std::errc()) return false;
    if (std::isfinite(v) && std::trunc(v) == v && std::fabs(v) < 9223372036854775808.0)
      put_int(out_, int64_t(v));
    else
      put_double(out_, v);
    return true;
  }

  std::string_view s_;
  std::string& out_;
  const std::vector<std::string>* att_;
  size_t i_ = 0;
};

}  // namespace

bool json_to_msgpack(std::string_view json, std::string& out, const std::vector<std::string>* attachments) {
  return JsonToMp(json, out, attachments).run();
}

}  // namespace roomcast::detail::mp
