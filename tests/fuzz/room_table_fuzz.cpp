// Differential fuzzing of RoomTable against a naive model. The input is a program: each op
// is an opcode byte and its operand bytes, over alphabets small enough that ids collide,
// rooms share names with ids, and rooms empty out and come back. Any disagreement aborts.
#include "room_model.h"
#include "rooms/room_table.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

using roomcast::detail::RoomTable;

// Enough slots and ids for a room to outnumber a small target eightfold, which switches
// excluded rooms from subtraction to per-recipient tests.
constexpr uint32_t kSlots = 32;
constexpr size_t kIds = 32;
constexpr std::string_view kPlainNames[] = {"a", "b", "c", "", "d", "long-room-name-past-sso",
                                            "e", "f"};
constexpr size_t kNameCount = kIds + sizeof kPlainNames / sizeof kPlainNames[0];

// Names 0..31 are "i0".."i31", the ids members can have; all names can name rooms.
const std::vector<std::string>& names() {
  static const std::vector<std::string> all = [] {
    std::vector<std::string> v;
    for (size_t i = 0; i < kIds; ++i) v.push_back("i" + std::to_string(i));
    for (std::string_view n : kPlainNames) v.emplace_back(n);
    return v;
  }();
  return all;
}

[[noreturn]] void mismatch(const char* what) {
  std::fprintf(stderr, "room_table_fuzz: mismatch in %s\n", what);
  std::abort();
}
void check(bool ok, const char* what) {
  if (!ok) mismatch(what);
}

using roomcast::testing::Model;

void compare_state(const RoomTable& t, const Model& m) {
  check(t.member_count() == m.ids.size(), "member_count");
  check(t.room_count() == m.rooms.size(), "room_count");
  for (uint32_t s = 0; s < kSlots; ++s) {
    check(t.is_member(s) == m.member(s), "is_member");
    std::vector<std::string> want;
    if (m.member(s)) {
      want.push_back(m.ids.at(s));
      for (const auto& r : m.joined.at(s)) want.push_back(r);
    }
    check(t.rooms_of(s) == want, "rooms_of");
    check(t.id_of(s) == (m.member(s) ? std::string_view(m.ids.at(s)) : std::string_view{}),
          "id_of");
  }
  for (size_t i = 0; i < kIds; ++i) {
    auto it = m.by_id.find(names()[i]);
    check(t.slot_of(names()[i]) == (it == m.by_id.end() ? -1 : int64_t{it->second}), "slot_of");
  }
  std::set<std::string> names;
  for (const auto& [r, slots] : m.rooms) names.insert(r);
  for (const auto& [id, s] : m.by_id) names.insert(id);
  check(t.all_rooms() == std::vector<std::string>(names.begin(), names.end()), "all_rooms");
}

// Reads operands; past the end of the input they read as zero so every prefix is a program.
struct Reader {
  const uint8_t* p;
  const uint8_t* end;
  bool more() const { return p < end; }
  uint8_t byte() { return p < end ? *p++ : 0; }
  // 255 is a slot past the table's limit, which every op must ignore.
  uint32_t slot() {
    const uint8_t b = byte();
    return b == 255 ? RoomTable::kSlotLimit : b % kSlots;
  }
  std::string_view name() { return names()[byte() % kNameCount]; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  RoomTable t;
  Model m;
  Reader in{data, data + size};
  std::vector<std::string_view> to, except;
  std::vector<uint32_t> got;
  while (in.more()) {
    const uint8_t op = in.byte();
    switch (op % 6) {
      case 0: {
        const uint32_t s = in.slot();
        const std::string_view id = names()[in.byte() % kIds];
        t.add_member(s, id);
        m.add(s, id);
        break;
      }
      case 1: {
        const uint32_t s = in.slot();
        t.remove_member(s);
        m.remove(s);
        break;
      }
      case 2: {
        const uint32_t s = in.slot();
        const std::string_view r = in.name();
        check(t.join(s, r) == m.join(s, r), "join result");
        break;
      }
      case 3: {
        const uint32_t s = in.slot();
        const std::string_view r = in.name();
        t.leave(s, r);
        m.leave(s, r);
        break;
      }
      case 4: {
        // Up to 3 target names and up to 7 exclusions: past the walk's inline skip limit.
        const uint8_t shape = in.byte();
        to.assign(shape & 3, {});
        except.assign((shape >> 2) & 7, {});
        for (auto& n : to) n = in.name();
        for (auto& n : except) n = in.name();
        got.clear();
        const size_t n = t.for_each_recipient(to, except, [&](uint32_t s) { got.push_back(s); });
        check(n == got.size(), "recipient count");
        check(got == m.broadcast(to, except), "recipients");
        break;
      }
      default:
        compare_state(t, m);
    }
  }
  compare_state(t, m);
  return 0;
}
