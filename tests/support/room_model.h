// A naive model of RoomTable's semantics (std::map / std::set), shared by the randomized
// differential unit test and the differential fuzz target.
#pragma once
#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "rooms/room_table.h"

namespace roomcast::testing {

using Names = std::vector<std::string_view>;
using roomcast::detail::RoomTable;

// The semantics spelled out directly: explicit rooms are sets, a member id matches its slot.
struct Model {
  std::map<uint32_t, std::string> ids;
  std::map<std::string, uint32_t> by_id;
  std::map<std::string, std::set<uint32_t>> rooms;
  std::map<uint32_t, std::vector<std::string>> joined;

  bool member(uint32_t s) const { return ids.count(s) != 0; }
  void add(uint32_t s, std::string_view id) {
    if (s >= RoomTable::kSlotLimit || member(s) || by_id.count(std::string(id)) != 0) return;
    ids[s] = std::string(id);
    by_id[std::string(id)] = s;
    joined[s] = {};
  }
  void remove(uint32_t s) {
    if (!member(s)) return;
    for (const std::string& r : joined[s]) {
      rooms[r].erase(s);
      if (rooms[r].empty()) rooms.erase(r);
    }
    by_id.erase(ids[s]);
    ids.erase(s);
    joined.erase(s);
  }
  bool join(uint32_t s, std::string_view r) {
    if (!member(s)) return false;
    if (ids[s] == r) return true;
    if (rooms[std::string(r)].insert(s).second) joined[s].emplace_back(r);
    return true;
  }
  void leave(uint32_t s, std::string_view r) {
    auto it = rooms.find(std::string(r));
    if (!member(s) || it == rooms.end() || it->second.erase(s) == 0) return;
    auto& list = joined[s];
    list.erase(std::find(list.begin(), list.end(), r));
    if (it->second.empty()) rooms.erase(it);
  }
  std::set<uint32_t> matches(std::string_view name) const {
    std::set<uint32_t> out;
    if (auto it = rooms.find(std::string(name)); it != rooms.end()) out = it->second;
    if (auto it = by_id.find(std::string(name)); it != by_id.end()) out.insert(it->second);
    return out;
  }
  std::vector<uint32_t> broadcast(const Names& to, const Names& except) const {
    std::set<uint32_t> target;
    if (to.empty()) {
      for (const auto& [slot, id] : ids) target.insert(slot);
    } else {
      for (auto name : to) target.merge(matches(name));
    }
    for (auto name : except)
      for (uint32_t s : matches(name)) target.erase(s);
    return {target.begin(), target.end()};
  }
  std::vector<std::string> rooms_of(uint32_t s) const {
    if (!member(s)) return {};
    std::vector<std::string> out{ids.at(s)};
    for (const auto& r : joined.at(s)) out.push_back(r);
    return out;
  }
  std::vector<std::string> all_rooms() const {
    std::set<std::string> out;
    for (const auto& [name, slots] : rooms) out.insert(name);
    for (const auto& [slot, id] : ids) out.insert(id);
    return {out.begin(), out.end()};
  }
};

}  // namespace roomcast::testing
