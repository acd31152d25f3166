// RoomTable against a naive model (ordered maps and sets): hand-picked Socket.IO cases, then
// seeded random operation sequences, then a large table whose bitmaps span several
// CRoaring containers of every kind the table produces.
#include "room_model.h"
#include "rooms/room_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <new>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

// Counts operator new so a test can show a broadcast does not allocate.
static std::atomic<size_t> g_news{0};
void* operator new(size_t n) {
  g_news.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return ::operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace {

using roomcast::detail::RoomTable;
using Names = std::vector<std::string_view>;

using roomcast::testing::Model;

std::vector<uint32_t> recipients(const RoomTable& t, const Names& to, const Names& except) {
  std::vector<uint32_t> out;
  const size_t n = t.for_each_recipient(to, except, [&](uint32_t s) { out.push_back(s); });
  EXPECT_EQ(n, out.size());
  return out;
}

void expect_broadcast(const RoomTable& t, const Model& m, const Names& to, const Names& except) {
  EXPECT_EQ(recipients(t, to, except), m.broadcast(to, except))
      << "to " << ::testing::PrintToString(to) << " except " << ::testing::PrintToString(except);
}

void expect_same_state(const RoomTable& t, const Model& m, uint32_t slot_bound) {
  ASSERT_EQ(t.member_count(), m.ids.size());
  ASSERT_EQ(t.room_count(), m.rooms.size());
  EXPECT_EQ(t.all_rooms(), m.all_rooms());
  // One failure per kind is enough; a message per slot would drown the first difference.
  for (uint32_t s = 0; s < slot_bound; ++s) {
    const std::string_view id = m.member(s) ? std::string_view(m.ids.at(s)) : std::string_view{};
    if (t.is_member(s) != m.member(s) || t.id_of(s) != id || t.rooms_of(s) != m.rooms_of(s)) {
      ADD_FAILURE() << "slot " << s << ": member " << t.is_member(s) << " id '" << t.id_of(s)
                    << "' rooms " << ::testing::PrintToString(t.rooms_of(s)) << "; model: member "
                    << m.member(s) << " id '" << id << "' rooms "
                    << ::testing::PrintToString(m.rooms_of(s));
      return;
    }
  }
  for (const auto& [slot, id] : m.ids) {
    if (t.slot_of(id) != int64_t{slot}) {
      ADD_FAILURE() << "slot_of(" << id << ") = " << t.slot_of(id) << ", model " << slot;
      return;
    }
  }
}

TEST(RoomTable, EmptyTableHasNoRecipients) {
  RoomTable t;
  EXPECT_EQ(t.member_count(), 0u);
  EXPECT_EQ(t.room_count(), 0u);
  EXPECT_TRUE(recipients(t, {}, {}).empty());
  EXPECT_TRUE(recipients(t, {"a"}, {}).empty());
  EXPECT_TRUE(recipients(t, {"a", "b"}, {"c"}).empty());
  EXPECT_EQ(t.slot_of("x"), -1);
  EXPECT_TRUE(t.rooms_of(0).empty());
  EXPECT_TRUE(t.id_of(3).empty());
}

TEST(RoomTable, MemberHasItsOwnIdRoom) {
  RoomTable t;
  t.add_member(7, "AAAAAAAAAAAAAAAAAAA7");
  EXPECT_TRUE(t.is_member(7));
  EXPECT_FALSE(t.is_member(6));
  EXPECT_EQ(t.member_count(), 1u);
  EXPECT_EQ(t.slot_of("AAAAAAAAAAAAAAAAAAA7"), 7);
  EXPECT_EQ(t.id_of(7), "AAAAAAAAAAAAAAAAAAA7");
  EXPECT_EQ(t.rooms_of(7), std::vector<std::string>{"AAAAAAAAAAAAAAAAAAA7"});
  EXPECT_EQ(t.room_count(), 0u);  // the id room is not an explicit room
  EXPECT_EQ(t.all_rooms(), std::vector<std::string>{"AAAAAAAAAAAAAAAAAAA7"});
  EXPECT_EQ(recipients(t, {"AAAAAAAAAAAAAAAAAAA7"}, {}), std::vector<uint32_t>{7});
  EXPECT_TRUE(recipients(t, {"AAAAAAAAAAAAAAAAAAA7"}, {"AAAAAAAAAAAAAAAAAAA7"}).empty());
}

TEST(RoomTable, AddMemberRejectsTakenIdsAndSlots) {
  RoomTable t;
  t.add_member(1, "x");
  t.add_member(2, "x");  // id taken by slot 1
  t.add_member(1, "y");  // slot 1 already a member
  t.add_member(RoomTable::kSlotLimit, "z");
  EXPECT_FALSE(t.is_member(2));
  EXPECT_FALSE(t.is_member(RoomTable::kSlotLimit));
  EXPECT_EQ(t.id_of(1), "x");
  EXPECT_EQ(t.slot_of("y"), -1);
  EXPECT_EQ(t.slot_of("z"), -1);
  EXPECT_EQ(t.member_count(), 1u);
  t.remove_member(1);
  t.add_member(2, "x");  // free again
  EXPECT_EQ(t.slot_of("x"), 2);
}

TEST(RoomTable, JoinRequiresMembership) {
  RoomTable t;
  EXPECT_FALSE(t.join(3, "room"));
  EXPECT_EQ(t.room_count(), 0u);
  t.add_member(3, "s3");
  EXPECT_TRUE(t.join(3, "room"));
  EXPECT_TRUE(t.join(3, "room"));  // twice is once
  EXPECT_EQ(t.rooms_of(3), (std::vector<std::string>{"s3", "room"}));
  t.remove_member(3);
  EXPECT_FALSE(t.join(3, "room"));
  EXPECT_EQ(t.room_count(), 0u);
}

TEST(RoomTable, RoomsAreDeletedWhenEmpty) {
  RoomTable t;
  t.add_member(0, "s0");
  t.add_member(1, "s1");
  t.join(0, "r");
  t.join(1, "r");
  t.join(1, "q");
  EXPECT_EQ(t.room_count(), 2u);
  t.leave(0, "r");
  EXPECT_EQ(t.room_count(), 2u);
  t.remove_member(1);
  EXPECT_EQ(t.room_count(), 0u);
  EXPECT_EQ(t.all_rooms(), std::vector<std::string>{"s0"});
  t.leave(0, "r");  // gone: no-op
  t.leave(5, "r");  // not a member: no-op
  EXPECT_EQ(t.member_count(), 1u);
}

TEST(RoomTable, RoomsOfKeepsJoinOrderAcrossLeaves) {
  RoomTable t;
  t.add_member(4, "me");
  for (auto r : {"c", "a", "b", "d"}) t.join(4, r);
  t.leave(4, "a");
  t.join(4, "a");
  EXPECT_EQ(t.rooms_of(4), (std::vector<std::string>{"me", "c", "b", "d", "a"}));
}

TEST(RoomTable, OwnIdJoinAndLeaveAreNoOps) {
  RoomTable t;
  t.add_member(1, "s1");
  t.add_member(2, "s2");
  EXPECT_TRUE(t.join(1, "s1"));
  EXPECT_EQ(t.room_count(), 0u);
  EXPECT_EQ(t.rooms_of(1), std::vector<std::string>{"s1"});
  t.leave(1, "s1");
  EXPECT_EQ(recipients(t, {"s1"}, {}), std::vector<uint32_t>{1});
}

TEST(RoomTable, RoomNamedLikeAnotherMemberIdMatchesBoth) {
  RoomTable t;
  t.add_member(1, "s1");
  t.add_member(2, "s2");
  t.add_member(3, "s3");
  ASSERT_TRUE(t.join(3, "s1"));  // a real room that shares s1's name
  EXPECT_EQ(t.room_count(), 1u);
  EXPECT_EQ(t.all_rooms(), (std::vector<std::string>{"s1", "s2", "s3"}));
  EXPECT_EQ(recipients(t, {"s1"}, {}), (std::vector<uint32_t>{1, 3}));
  EXPECT_EQ(recipients(t, {"s1"}, {"s3"}), std::vector<uint32_t>{1});
  EXPECT_EQ(recipients(t, {"s2"}, {}), std::vector<uint32_t>{2});
  EXPECT_EQ(recipients(t, {}, {"s1"}), std::vector<uint32_t>{2});
  t.remove_member(1);  // the room outlives the member whose id it shares
  EXPECT_EQ(recipients(t, {"s1"}, {}), std::vector<uint32_t>{3});
}

TEST(RoomTable, BroadcastResolution) {
  RoomTable t;
  Model m;
  for (uint32_t s = 0; s < 10; ++s) {
    const std::string id = "s" + std::to_string(s);
    t.add_member(s, id);
    m.add(s, id);
  }
  const std::pair<uint32_t, const char*> joins[] = {
      {0, "a"}, {2, "a"}, {4, "a"}, {6, "a"}, {1, "b"}, {2, "b"}, {3, "b"}, {9, "c"}, {2, "s5"}};
  for (auto [s, r] : joins) {
    ASSERT_TRUE(t.join(s, r));
    m.join(s, r);
  }
  const Names cases[][2] = {
      {{}, {}},                                 // io.emit
      {{}, {"s3"}},                             // socket.broadcast.emit
      {{"a"}, {}},                              // io.to(room)
      {{"a"}, {"s2"}},                          // socket.to(room) from a member
      {{"a"}, {"s8"}},                          // socket.to(room) from a non-member of it
      {{"a"}, {"s0", "s2", "s4", "s6", "s9"}},  // more ids than the walk skips
      {{"a"}, {"b"}},                           // except a room
      {{"a", "b"}, {}},                         // union, each once
      {{"a", "b"}, {"c", "s4"}},
      {{"b", "a", "b"}, {"zzz"}},  // repeats and unknown names
      {{"s5"}, {}},                // both a room and an id
      {{"s5"}, {"s2"}},
      {{"s7"}, {}},  // private message
      {{"s7"}, {"s7"}},
      {{"s7"}, {"c", "a"}},
      {{"nope"}, {}},
      {{"nope", "s1"}, {}},
      {{}, {"a", "b", "c"}},
      {{"a"}, {"a"}},
  };
  for (const auto& c : cases) expect_broadcast(t, m, c[0], c[1]);
}

// A small target next to large excluded rooms: each recipient is tested against them
// instead of subtracting them.
TEST(RoomTable, SmallTargetMinusLargeRooms) {
  RoomTable t;
  Model m;
  for (uint32_t s = 0; s < 40; ++s) {
    const std::string id = "s" + std::to_string(s);
    t.add_member(s, id);
    m.add(s, id);
    for (auto [room, in] : {std::pair{"big", s % 4 != 0}, std::pair{"odd", s % 2 == 1},
                            std::pair{"few", s % 10 == 0}}) {
      if (!in) continue;
      t.join(s, room);
      m.join(s, room);
    }
  }
  const Names cases[][2] = {
      {{"few"}, {"big"}},
      {{"few"}, {"big", "odd"}},
      {{"few"}, {"odd", "s20"}},
      {{"few", "s3"}, {"big"}},
      {{"few"}, {"big", "s0", "s1", "s2", "s3", "s4", "s10"}},
      {{"s7"}, {"big"}},
  };
  for (const auto& c : cases) expect_broadcast(t, m, c[0], c[1]);
  EXPECT_EQ(recipients(t, {"few"}, {"big"}), (std::vector<uint32_t>{0, 20}));
  EXPECT_EQ(recipients(t, {"few"}, {"odd", "s20"}), (std::vector<uint32_t>{0, 10, 30}));
}

TEST(RoomTable, BroadcastSinkCanBeAnLvalueFunctor) {
  RoomTable t;
  t.add_member(2, "p");
  t.add_member(5, "q");
  struct Sum {
    uint64_t total = 0;
    void operator()(uint32_t s) { total += s + 1; }
  } sum;
  const Names none;
  EXPECT_EQ(t.for_each_recipient(none, none, sum), 2u);
  EXPECT_EQ(sum.total, 9u);
}

TEST(RoomTable, CommonBroadcastsDoNotAllocate) {
  RoomTable t;
  for (uint32_t s = 0; s < 10000; ++s) {
    char id[21];
    std::snprintf(id, sizeof id, "id%018u", s);
    t.add_member(s, id);
    if (s % 3 == 0) t.join(s, "room-with-a-long-name-beyond-sso");
  }
  const Names room{"room-with-a-long-name-beyond-sso"};
  const Names sender{"id000000000000000003"};
  const Names none;
  uint64_t sum = 0;
  auto sink = [&](uint32_t s) { sum += s; };
  const size_t before = g_news.load();
  size_t n = t.for_each_recipient(none, none, sink);
  n += t.for_each_recipient(none, sender, sink);
  n += t.for_each_recipient(room, none, sink);
  n += t.for_each_recipient(room, sender, sink);
  n += t.for_each_recipient(sender, none, sink);
  EXPECT_EQ(g_news.load() - before, 0u);
  EXPECT_EQ(n, 10000u + 9999u + 3334u + 3333u + 1u);
}

// Ops over small alphabets so that ids collide, rooms share names with ids, and rooms empty
// out and come back.
void run_random(uint32_t seed, int ops) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  constexpr uint32_t kSlots = 24;
  std::vector<std::string> ids;  // fewer ids than slots, so some adds collide
  for (int i = 0; i < 20; ++i) ids.push_back("i" + std::to_string(i));
  const std::vector<std::string> names = {"a", "b", "c", "d", "", "i0", "i1", "i2", "zz"};
  auto pick = [&](const std::vector<std::string>& v) -> const std::string& {
    return v[rng() % v.size()];
  };
  auto pick_names = [&](size_t max) {
    Names out(rng() % (max + 1));
    for (auto& n : out) n = pick(rng() % 4 == 0 ? ids : names);
    return out;
  };
  RoomTable t;
  Model m;
  for (int i = 0; i < ops; ++i) {
    const uint32_t s = rng() % kSlots;
    switch (rng() % 8) {
      case 0:
      case 1: {
        const std::string& id = pick(ids);
        t.add_member(s, id);
        m.add(s, id);
        break;
      }
      case 2:
        t.remove_member(s);
        m.remove(s);
        break;
      case 3:
      case 4: {
        const std::string& r = pick(rng() % 5 == 0 ? ids : names);
        ASSERT_EQ(t.join(s, r), m.join(s, r));
        break;
      }
      case 5: {
        const std::string& r = pick(rng() % 5 == 0 ? ids : names);
        t.leave(s, r);
        m.leave(s, r);
        break;
      }
      default: {
        const Names to = pick_names(3), except = pick_names(rng() % 3 == 0 ? 7 : 2);
        expect_broadcast(t, m, to, except);
      }
    }
    if (i % 64 == 0) expect_same_state(t, m, kSlots);
    if (::testing::Test::HasFailure()) return;
  }
  expect_same_state(t, m, kSlots);
}

TEST(RoomTable, RandomOpsMatchModel) {
  for (uint32_t seed = 1; seed <= 40; ++seed) run_random(seed, 3000);
}

// Rooms of thousands of members, so broadcasts take every resolution strategy: unions large
// enough for bitset containers, differences, and per-recipient tests of excluded rooms.
TEST(RoomTable, RandomOpsAtScaleMatchModel) {
  std::mt19937 rng(777);
  constexpr uint32_t kSlots = 12000;
  const std::vector<std::string> names = {"a", "b", "c", "d", "e", "f", "g", "h"};
  RoomTable t;
  Model m;
  auto id = [](uint32_t s) { return "m" + std::to_string(s); };
  for (uint32_t s = 0; s < kSlots; ++s) {
    if (rng() % 8 == 0) continue;
    t.add_member(s, id(s));
    m.add(s, id(s));
  }
  for (int round = 0; round < 60; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string& r = names[rng() % names.size()];
    // Room sizes spread from a handful to most of the table.
    const uint32_t batch = 1u << (rng() % 14);
    for (uint32_t i = 0; i < batch; ++i) {
      const uint32_t s = rng() % kSlots;
      if (rng() % 4 == 0) {
        t.leave(s, r);
        m.leave(s, r);
      } else {
        ASSERT_EQ(t.join(s, r), m.join(s, r));
      }
    }
    for (int i = 0; i < 20; ++i) {
      const uint32_t s = rng() % kSlots;
      t.remove_member(s);
      m.remove(s);
      if (rng() % 2 == 0) {
        t.add_member(s, id(s));
        m.add(s, id(s));
      }
    }
    std::vector<std::string> held;  // owns the id strings the views below point at
    for (int b = 0; b < 8; ++b) {
      held.clear();
      held.reserve(16);
      auto any_name = [&]() -> std::string_view {
        if (rng() % 3 != 0) return names[rng() % names.size()];
        held.push_back(id(rng() % kSlots));
        return held.back();
      };
      Names to(rng() % 4), except(rng() % 8);
      for (auto& n : to) n = any_name();
      for (auto& n : except) n = any_name();
      expect_broadcast(t, m, to, except);
    }
    if (::testing::Test::HasFailure()) return;
  }
  expect_same_state(t, m, kSlots);
}

// Slots up to 100k span two CRoaring chunks; the dense room makes bitset containers and the
// sparse ones array containers, and unions/differences mix the two.
TEST(RoomTable, LargeTableMatchesModel) {
  std::mt19937 rng(12345);
  RoomTable t;
  Model m;
  constexpr uint32_t kSlots = 100000;
  for (uint32_t s = 0; s < kSlots; ++s) {
    if (rng() % 10 == 0) continue;  // holes
    char id[21];
    std::snprintf(id, sizeof id, "%020u", s);
    t.add_member(s, id);
    m.add(s, id);
    const std::pair<const char*, uint32_t> rooms[] = {
        {"dense", 2}, {"half", 2}, {"sparse", 500}, {"tiny", 20000}};
    for (auto [r, every] : rooms) {
      if (std::string_view(r) == "dense" ? rng() % 10 != 0 : rng() % every == 0) {
        t.join(s, r);
        m.join(s, r);
      }
    }
  }
  const Names cases[][2] = {
      {{}, {}},
      {{"dense"}, {}},
      {{"sparse"}, {}},
      {{"dense"}, {"00000000000000000001", "00000000000000099998"}},
      {{"dense", "sparse"}, {"half"}},
      {{"sparse", "tiny"}, {}},
      {{}, {"dense"}},
      {{"half"}, {"sparse", "tiny", "00000000000000000002"}},
      {{"tiny"}, {"dense"}},
      {{"sparse"},
       {"half", "dense", "00000000000000000001", "00000000000000000002", "00000000000000000003",
        "00000000000000000004", "00000000000000000005"}},
  };
  for (const auto& c : cases) expect_broadcast(t, m, c[0], c[1]);
  for (uint32_t s = 0; s < kSlots; s += 3) {
    t.remove_member(s);
    m.remove(s);
  }
  for (const auto& c : cases) expect_broadcast(t, m, c[0], c[1]);
  expect_same_state(t, m, kSlots);
}

}  // namespace
