#include "rooms/room_table.h"

#include <algorithm>
#include <functional>
#include <iterator>
#include <unordered_map>

namespace roomcast::detail {
namespace {

// Transparent, so lookups by string_view on the broadcast path do not build a std::string.
struct NameHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

struct BitmapFree {
  void operator()(roaring_bitmap_t* b) const noexcept { roaring_bitmap_free(b); }
};
using Bitmap = std::unique_ptr<roaring_bitmap_t, BitmapFree>;

// One map for room names and member ids, because a broadcast name may be both: resolving it
// is then one hash lookup. An entry lives while it has a room or a member.
struct Entry {
  Bitmap room;          // explicit room, null when there is none
  int64_t member = -1;  // slot whose id this is, or -1
};
using NameMap = std::unordered_map<std::string, Entry, NameHash, std::equal_to<>>;
// Map nodes never move, so slots can point at them; only erasure invalidates a pointer.
using Name = NameMap::value_type;

// Up to 16 bitmaps without allocating; more spill to the heap.
struct Bitmaps {
  const roaring_bitmap_t* local[16];
  std::vector<const roaring_bitmap_t*> spill;
  size_t n = 0;
  void push(const roaring_bitmap_t* b) {
    if (n < std::size(local)) {
      local[n++] = b;
      return;
    }
    if (spill.empty()) spill.assign(local, local + n);
    spill.push_back(b);
    ++n;
  }
  const roaring_bitmap_t** data() { return spill.empty() ? local : spill.data(); }
};

struct Slot {
  Name* id = nullptr;        // null when not a member
  std::vector<Name*> rooms;  // explicit rooms, join order
};

}  // namespace

struct RoomTable::Impl {
  Bitmap members{roaring_bitmap_create()};
  size_t member_count = 0;
  size_t room_count = 0;
  NameMap names;
  std::vector<Slot> slots;
  PresenceObserver observer;

  NameMap::iterator insert(std::string_view name) {
    auto [it, fresh] = names.try_emplace(std::string(name));
    if (fresh && observer) observer(it->first, true);
    return it;
  }

  Slot* member(uint32_t slot) {
    if (slot >= slots.size() || slots[slot].id == nullptr) return nullptr;
    return &slots[slot];
  }
  const Slot* member(uint32_t slot) const { return const_cast<Impl*>(this)->member(slot); }
  const Entry* find(std::string_view name) const {
    auto it = names.find(name);
    return it == names.end() ? nullptr : &it->second;
  }
  // Whether any name in `except` matches the slot, as a room or as its id.
  bool excluded(uint32_t slot, std::span<const std::string_view> except) const {
    for (std::string_view name : except) {
      const Entry* e = find(name);
      if (e == nullptr) continue;
      if (e->member == static_cast<int64_t>(slot)) return true;
      if (e->room && roaring_bitmap_contains(e->room.get(), slot)) return true;
    }
    return false;
  }
  // Union of the named rooms and ids; null only when out of memory.
  roaring_bitmap_t* union_of(std::span<const std::string_view> targets) const {
    Bitmaps parts;
    uint64_t total = 0;
    for (std::string_view name : targets) {
      const Entry* e = find(name);
      if (e != nullptr && e->room) {
        parts.push(e->room.get());
        total += roaring_bitmap_get_cardinality(e->room.get());
      }
    }
    // or_many ORs into full-size bitset containers and converts back; for a union too
    // small to need bitsets, merging the sorted arrays pairwise is cheaper.
    constexpr uint64_t kSmallUnion = 4096;
    roaring_bitmap_t* out = nullptr;
    if (parts.n == 0) {
      out = roaring_bitmap_create();
    } else if (total < kSmallUnion) {
      out = roaring_bitmap_copy(parts.data()[0]);
      for (size_t i = 1; out != nullptr && i < parts.n; ++i)
        roaring_bitmap_or_inplace(out, parts.data()[i]);
    } else {
      out = roaring_bitmap_or_many(parts.n, parts.data());
    }
    if (out == nullptr) return nullptr;
    for (std::string_view name : targets) {
      const Entry* e = find(name);
      if (e != nullptr && e->member >= 0) roaring_bitmap_add(out, static_cast<uint32_t>(e->member));
    }
    return out;
  }
  void erase_if_unused(Name* name) {
    if (name->second.room || name->second.member >= 0) return;
    if (observer) observer(name->first, false);
    names.erase(names.find(name->first));
  }
  // Drops the slot from one room, deleting the room once nobody is left in it.
  void drop(Name* name, uint32_t slot) {
    roaring_bitmap_t* room = name->second.room.get();
    roaring_bitmap_remove(room, slot);
    if (!roaring_bitmap_is_empty(room)) return;
    name->second.room.reset();
    --room_count;
    erase_if_unused(name);
  }
};

RoomTable::RoomTable() : impl_(std::make_unique<Impl>()) {}
RoomTable::~RoomTable() = default;

void RoomTable::add_member(uint32_t slot, std::string_view socket_id) {
  Impl& m = *impl_;
  if (slot >= kSlotLimit || m.member(slot) != nullptr) return;
  auto it = m.insert(socket_id);
  if (it->second.member >= 0) return;  // another member's id
  it->second.member = slot;
  if (slot >= m.slots.size()) m.slots.resize(size_t{slot} + 1);
  m.slots[slot].id = &*it;
  roaring_bitmap_add(m.members.get(), slot);
  ++m.member_count;
}

void RoomTable::set_presence_observer(PresenceObserver f) { impl_->observer = std::move(f); }

void RoomTable::remove_member(uint32_t slot) {
  Impl& m = *impl_;
  Slot* s = m.member(slot);
  if (s == nullptr) return;
  for (Name* room : s->rooms) m.drop(room, slot);
  s->rooms.clear();
  s->id->second.member = -1;
  m.erase_if_unused(s->id);
  s->id = nullptr;
  roaring_bitmap_remove(m.members.get(), slot);
  --m.member_count;
}

bool RoomTable::is_member(uint32_t slot) const { return impl_->member(slot) != nullptr; }

size_t RoomTable::member_count() const { return impl_->member_count; }

bool RoomTable::join(uint32_t slot, std::string_view room) {
  Impl& m = *impl_;
  Slot* s = m.member(slot);
  if (s == nullptr) return false;
  if (room == s->id->first) return true;
  auto it = m.names.find(room);
  if (it == m.names.end()) it = m.insert(room);
  Name& name = *it;
  if (!name.second.room) {
    name.second.room.reset(roaring_bitmap_create());
    ++m.room_count;
  }
  if (roaring_bitmap_add_checked(name.second.room.get(), slot)) s->rooms.push_back(&name);
  return true;
}

void RoomTable::leave(uint32_t slot, std::string_view room) {
  Impl& m = *impl_;
  Slot* s = m.member(slot);
  if (s == nullptr) return;
  auto it = m.names.find(room);
  if (it == m.names.end() || !it->second.room) return;
  auto pos = std::find(s->rooms.begin(), s->rooms.end(), &*it);
  if (pos == s->rooms.end()) return;
  s->rooms.erase(pos);
  m.drop(&*it, slot);
}

std::vector<std::string> RoomTable::rooms_of(uint32_t slot) const {
  const Slot* s = impl_->member(slot);
  if (s == nullptr) return {};
  std::vector<std::string> out;
  out.reserve(s->rooms.size() + 1);
  out.push_back(s->id->first);
  for (const Name* room : s->rooms) out.push_back(room->first);
  return out;
}

int64_t RoomTable::slot_of(std::string_view socket_id) const {
  const Entry* e = impl_->find(socket_id);
  return e == nullptr ? -1 : e->member;
}

std::string_view RoomTable::id_of(uint32_t slot) const {
  const Slot* s = impl_->member(slot);
  return s == nullptr ? std::string_view{} : std::string_view(s->id->first);
}

size_t RoomTable::room_count() const { return impl_->room_count; }

std::vector<std::string> RoomTable::all_rooms() const {
  std::vector<std::string> out;
  out.reserve(impl_->names.size());
  for (const auto& [name, entry] : impl_->names) out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

RoomTable::Target RoomTable::resolve(std::span<const std::string_view> rooms,
                                     std::span<const std::string_view> except) const {
  const Impl& m = *impl_;
  Target t;

  // Exclusions: member ids go to the skip list while it has room; excluded rooms are
  // collected, to be subtracted or tested per recipient below.
  Bitmaps excluded_rooms;
  bool skip_overflow = false;
  for (std::string_view name : except) {
    const Entry* e = m.find(name);
    if (e == nullptr) continue;
    if (e->room) excluded_rooms.push(e->room.get());
    if (e->member < 0) continue;
    const auto s = static_cast<uint32_t>(e->member);
    uint32_t* end = t.skip + t.nskip;
    uint32_t* pos = std::lower_bound(t.skip, end, s);
    if (pos != end && *pos == s) continue;
    if (t.nskip == kMaxSkip) {
      skip_overflow = true;
      continue;
    }
    std::copy_backward(pos, end, end + 1);
    *pos = s;
    ++t.nskip;
  }

  // The target, borrowed when it is one existing bitmap.
  const roaring_bitmap_t* base = nullptr;
  if (rooms.empty()) {
    base = m.members.get();
  } else if (rooms.size() == 1) {
    const Entry* e = m.find(rooms[0]);
    if (e == nullptr) return t;
    if (!e->room) {  // a private message to one socket
      if (!m.excluded(static_cast<uint32_t>(e->member), except)) t.single = e->member;
      return t;
    }
    if (e->member < 0) base = e->room.get();
  }
  if (base != nullptr && excluded_rooms.n == 0 && !skip_overflow) {
    t.set = base;
    return t;
  }

  roaring_bitmap_t* out = nullptr;  // built for this call; base points at it once it exists
  if (base == nullptr) {
    out = m.union_of(rooms);
    if (out == nullptr) return Target{};
    base = out;
  }
  if (excluded_rooms.n > 0) {
    uint64_t excluded_size = 0;
    for (size_t i = 0; i < excluded_rooms.n; ++i)
      excluded_size += roaring_bitmap_get_cardinality(excluded_rooms.data()[i]);
    // A membership test costs about as much as merging this many array elements.
    constexpr uint64_t kTestCost = 8;
    if (excluded_rooms.n <= kMaxFilter &&
        roaring_bitmap_get_cardinality(base) * excluded_rooms.n * kTestCost < excluded_size) {
      std::copy_n(excluded_rooms.data(), excluded_rooms.n, t.filter);
      t.nfilter = static_cast<uint32_t>(excluded_rooms.n);
    } else {
      size_t first = 0;
      if (out == nullptr) {
        out = roaring_bitmap_andnot(base, excluded_rooms.data()[0]);
        if (out == nullptr) return Target{};
        base = out;
        first = 1;
      }
      for (size_t i = first; i < excluded_rooms.n; ++i)
        roaring_bitmap_andnot_inplace(out, excluded_rooms.data()[i]);
    }
  }
  if (skip_overflow) {
    if (out == nullptr) {
      out = roaring_bitmap_copy(base);
      if (out == nullptr) return Target{};
      base = out;
    }
    for (std::string_view name : except) {
      const Entry* e = m.find(name);
      if (e != nullptr && e->member >= 0)
        roaring_bitmap_remove(out, static_cast<uint32_t>(e->member));
    }
    t.nskip = 0;  // every excluded id is already gone from `out`
  }
  t.set = base;
  t.owned = out;
  return t;
}

}  // namespace roomcast::detail
