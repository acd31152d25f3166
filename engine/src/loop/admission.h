// Connection limits shared by all shards: a global count and a count per remote address.
// Touched once at accept and once at close (never per message), so a mutex is enough.
#pragma once
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace roomcast::detail {

// Fixed-file slots per shard beyond max_connections_per_shard, used only to answer a refused
// client with a 503 (instead of a bare close). When these are taken too, accept just closes.
inline constexpr uint32_t kRefusalSlots = 64;

class Admission {
 public:
  enum class Verdict : uint8_t { Admit, TooManyConnections, TooManyFromAddress };

  // Limits of 0 mean "no limit".
  Admission(uint32_t max_total, uint32_t max_per_address)
      : max_total_(max_total), max_per_address_(max_per_address) {}

  // Admit counts the connection; it must be released once.
  Verdict admit(std::string_view address);
  void release(std::string_view address);
  uint32_t total() const;

 private:
  const uint32_t max_total_;
  const uint32_t max_per_address_;
  mutable std::mutex mu_;
  uint32_t total_ = 0;
  std::unordered_map<std::string, uint32_t> per_address_;  // only addresses with connections
};

}  // namespace roomcast::detail
