// Which rooms (and socket ids) exist on this node, readable from any thread.
//
// Shards own their room tables and nobody else may read them; the Redis adapter still has
// to drop a room channel's message before decoding it when no local socket is in the room,
// as Node's adapter does. Each shard reports a name appearing or vanishing in one of its
// tables (RoomTable's presence observer); this keeps a per-name count of shards. A mutex is
// enough: updates happen when a room is created or emptied, lookups once per message.
#pragma once
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace roomcast::detail {

class RoomPresence {
 public:
  void set(uint32_t nsp, std::string_view name, bool present) {
    std::string k = key(nsp, name);
    std::lock_guard lock(mu_);
    if (present) {
      ++count_[std::move(k)];
    } else if (auto it = count_.find(k); it != count_.end() && --it->second == 0) {
      count_.erase(it);
    }
  }
  bool has(uint32_t nsp, std::string_view name) const {
    std::string k = key(nsp, name);
    std::lock_guard lock(mu_);
    return count_.count(k) != 0;
  }
  // Every name present in the namespace (rooms and socket ids, as Node's adapter lists).
  std::vector<std::string> names(uint32_t nsp) const {
    std::vector<std::string> out;
    std::lock_guard lock(mu_);
    for (auto& [k, n] : count_)
      if (nsp_of(k) == nsp) out.push_back(k.substr(4));
    return out;
  }

 private:
  static std::string key(uint32_t nsp, std::string_view name) {
    std::string k(4, '\0');
    for (int i = 0; i < 4; ++i) k[size_t(i)] = char(nsp >> (8 * i));
    k.append(name);
    return k;
  }
  static uint32_t nsp_of(const std::string& k) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t(uint8_t(k[size_t(i)])) << (8 * i);
    return v;
  }
  mutable std::mutex mu_;
  std::unordered_map<std::string, uint32_t> count_;
};

}  // namespace roomcast::detail
