#include "loop/broadcast_profile.h"

#include <cstdio>

namespace roomcast::detail {

std::string profile_json(const LatencyHistogram::Snapshot* merged, uint64_t recipients, bool enabled) {
  auto us = [](uint64_t ns) { return double(ns) / 1000.0; };
  std::string out = "{\"enabled\":";
  out += enabled ? "true" : "false";
  char buf[512];
  std::snprintf(buf, sizeof(buf), ",\"broadcasts\":%llu,\"recipients\":%llu,\"unit\":\"us\",\"stages\":{",
                (unsigned long long)merged[kFanout].count(), (unsigned long long)recipients);
  out += buf;
  for (int s = 0; s < kStageCount; ++s) {
    const auto& h = merged[s];
    const double mean = h.mean() / 1000.0;
    std::snprintf(buf, sizeof(buf),
                  "%s\"%s\":{\"count\":%llu,\"mean_us\":%.3f,\"p50_us\":%.3f,\"p90_us\":%.3f,\"p99_us\":%.3f,"
                  "\"p999_us\":%.3f,\"max_us\":%.3f}",
                  s ? "," : "", kStageNames[s], (unsigned long long)h.count(), mean, us(h.percentile(50)),
                  us(h.percentile(90)), us(h.percentile(99)), us(h.percentile(99.9)), us(h.max()));
    out += buf;
  }
  out += "}}";
  return out;
}

}  // namespace roomcast::detail
