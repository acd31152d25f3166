// Parsers of /proc/<pid>/stat and /proc/<pid>/status contents. Pure.
#pragma once
#include <cstdint>
#include <string_view>

namespace roomcast::bench {

inline bool parse_stat_cpu_ticks(std::string_view stat, uint64_t& ticks) {
  // The command name (field 2) may contain spaces and parentheses: fields are counted
  // from the last ')'. utime and stime are fields 14 and 15.
  const size_t close = stat.rfind(')');
  if (close == std::string_view::npos) return false;
  size_t pos = close + 1;
  uint64_t values[2] = {0, 0};
  for (int field = 3; field <= 15; ++field) {
    while (pos < stat.size() && stat[pos] == ' ') ++pos;
    const size_t start = pos;
    while (pos < stat.size() && stat[pos] != ' ') ++pos;
    if (start == pos) return false;
    if (field >= 14) {
      uint64_t v = 0;
      for (size_t k = start; k < pos; ++k) {
        if (stat[k] < '0' || stat[k] > '9') return false;
        v = v * 10 + uint64_t(stat[k] - '0');
      }
      values[field - 14] = v;
    }
  }
  ticks = values[0] + values[1];
  return true;
}

inline uint64_t parse_status_kb(std::string_view status, std::string_view key) {
  size_t pos = 0;
  while (pos < status.size()) {
    size_t eol = status.find('\n', pos);
    if (eol == std::string_view::npos) eol = status.size();
    const std::string_view line = status.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ':') {
      uint64_t v = 0;
      for (char ch : line.substr(key.size() + 1))
        if (ch >= '0' && ch <= '9') v = v * 10 + uint64_t(ch - '0');
        else if (v) break;
      return v;
    }
  }
  return 0;
}

}  // namespace roomcast::bench
