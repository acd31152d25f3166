// Which room each connection joins, and which publishers share it. Pure and deterministic:
// every worker process computes the same plan from the options alone, so no assignment
// has to be exchanged between processes.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace roomcast::bench {

enum class Spread : uint8_t { Uniform, Zipf };

class RoomPlan {
 public:
  // Connections 0..publishers-1 are the publishers; publisher i is in room i % rooms.
  RoomPlan(uint32_t rooms, uint32_t publishers, Spread spread, double zipf_s, uint64_t seed = 1)
      : rooms_(std::max<uint32_t>(rooms, 1)), publishers_(publishers), spread_(spread), seed_(seed) {
    if (spread_ == Spread::Zipf) {
      cdf_.resize(rooms_);
      double total = 0;
      for (uint32_t k = 0; k < rooms_; ++k) {
        total += 1.0 / std::pow(double(k + 1), zipf_s);
        cdf_[k] = total;
      }
      for (double& c : cdf_) c /= total;
    }
  }

  uint32_t rooms() const { return rooms_; }
  uint32_t publishers() const { return publishers_; }

  uint32_t room_of(uint64_t conn) const {
    if (conn < publishers_ || spread_ == Spread::Uniform) return uint32_t(conn % rooms_);
    // A hash of the connection id, not a shared RNG stream: the answer must not depend
    // on how connections are split over processes and threads.
    const double u = double(mix(conn ^ seed_) >> 11) * 0x1.0p-53;
    auto it = std::lower_bound(cdf_.begin(), cdf_.end(), u);
    return it == cdf_.end() ? rooms_ - 1 : uint32_t(it - cdf_.begin());
  }

  // Publishers in room r are r, r + rooms, r + 2*rooms, ...: publisher p is slot p / rooms.
  uint32_t publishers_in(uint32_t room) const {
    return room < publishers_ ? (publishers_ - room + rooms_ - 1) / rooms_ : 0;
  }
  static uint32_t slot_of(uint32_t publisher, uint32_t rooms) { return publisher / rooms; }

  static std::string name(uint32_t room) { return "room-" + std::to_string(room); }

 private:
  static uint64_t mix(uint64_t x) {  // splitmix64 finaliser
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
  }

  uint32_t rooms_;
  uint32_t publishers_;
  Spread spread_;
  uint64_t seed_;
  std::vector<double> cdf_;
};

}  // namespace roomcast::bench
