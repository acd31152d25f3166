// Args: lazy views over the raw JSON text of incoming arguments.
#include "roomcast/args.h"

#include <charconv>
#include <cmath>

#include "util/json_text.h"
#include "proto/sio/sio_packet.h"

namespace roomcast {
namespace {

// JSON number grammar starts with '-' or a digit; from_chars alone would also take
// "inf", "nan" and hex-looking text.
bool looks_numeric(std::string_view t) {
  return !t.empty() && (t[0] == '-' || (t[0] >= '0' && t[0] <= '9'));
}

}  // namespace

std::optional<Args> Args::from_array(std::string array_json, size_t skip,
                                     std::vector<std::string> attachments) {
  std::vector<std::string_view> parts;
  if (!sio::split_array(array_json, parts)) return std::nullopt;
  Args a;
  a.items_.reserve(parts.size() > skip ? parts.size() - skip : 0);
  for (size_t i = skip; i < parts.size(); ++i) {
    a.items_.push_back(Item{size_t(parts[i].data() - array_json.data()), parts[i].size()});
  }
  if (skip > 0 && !parts.empty()) a.head_ = Item{size_t(parts[0].data() - array_json.data()), parts[0].size()};
  a.text_ = std::move(array_json);  // offsets, not pointers, so moving the text is fine
  a.attachments_ = std::move(attachments);
  return a;
}

std::string json_quote(std::string_view s) {
  std::string out;
  json::append_string(out, s);
  return out;
}

std::optional<std::string> Args::str(size_t i) const {
  if (i >= items_.size()) return std::nullopt;
  std::string_view t = raw(i);
  if (t.size() < 2 || t.front() != '"') return std::nullopt;
  if (t.find('\\') == std::string_view::npos) return std::string(t.substr(1, t.size() - 2));
  return json::parse_string(t);
}

std::optional<int64_t> Args::i64(size_t i) const {
  if (i >= items_.size()) return std::nullopt;
  std::string_view t = raw(i);
  if (!looks_numeric(t)) return std::nullopt;
  int64_t v = 0;
  auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  if (r.ec == std::errc() && r.ptr == t.data() + t.size()) return v;
  // JavaScript has one number type: 1.0 and 1e3 are integers too, if exactly so.
  std::optional<double> d = f64(i);
  if (!d || std::trunc(*d) != *d || *d < -9223372036854775808.0 || *d >= 9223372036854775808.0) {
    return std::nullopt;
  }
  return int64_t(*d);
}

std::optional<double> Args::f64(size_t i) const {
  if (i >= items_.size()) return std::nullopt;
  std::string_view t = raw(i);
  if (!looks_numeric(t)) return std::nullopt;
  double v = 0;
  auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  if (r.ptr != t.data() + t.size()) return std::nullopt;
  if (r.ec == std::errc::result_out_of_range) {  // JSON.parse gives ±Infinity or ±0 here
    size_t e = t.find_first_of("eE");
    bool tiny = e != std::string_view::npos && e + 1 < t.size() && t[e + 1] == '-';
    double mag = tiny ? 0.0 : HUGE_VAL;
    return t[0] == '-' ? -mag : mag;
  }
  if (r.ec != std::errc()) return std::nullopt;
  return v;
}

std::optional<bool> Args::boolean(size_t i) const {
  if (i >= items_.size()) return std::nullopt;
  std::string_view t = raw(i);
  if (t == "true") return true;
  if (t == "false") return false;
  return std::nullopt;
}

std::optional<std::span<const uint8_t>> Args::binary(size_t i) const {
  if (i >= items_.size()) return std::nullopt;
  std::optional<uint32_t> num = sio::as_placeholder(raw(i));
  if (!num || *num >= attachments_.size()) return std::nullopt;
  const std::string& a = attachments_[*num];
  return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(a.data()), a.size());
}

std::vector<Arg> Args::forward(size_t from) const {
  std::vector<Arg> out;
  if (from >= items_.size()) return out;
  out.reserve(items_.size() - from);
  for (size_t i = from; i < items_.size(); ++i) out.emplace_back((*this)[i]);
  return out;
}

}  // namespace roomcast
