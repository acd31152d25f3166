// Room membership of one namespace on one shard, over shard-local connection slots.
//
// Each explicit room is a compressed bitmap (CRoaring) of slots; the namespace's member set is
// a bitmap too. A socket is implicitly in the room named by its own id: that costs a hash
// entry (id -> slot) and the slot's back-reference, not a bitmap, because almost every
// socket has one and almost none is ever addressed by it. Single-threaded: owned by its shard.
#pragma once
#include <roaring/roaring.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace roomcast::detail {

class RoomTable {
 public:
  // Slots index a per-slot array, so they must stay dense and small; add_member ignores
  // slots at or above this bound rather than growing the array without limit.
  static constexpr uint32_t kSlotLimit = 1u << 24;

  RoomTable();
  ~RoomTable();
  RoomTable(const RoomTable&) = delete;
  RoomTable& operator=(const RoomTable&) = delete;

  // Told when a name (explicit room or member id) starts or stops existing in this table,
  // so a cross-thread index of local rooms (the Redis adapter's filter) can follow without
  // reading the table. Called on the owning thread; none is set by default.
  using PresenceObserver = std::function<void(std::string_view name, bool present)>;
  void set_presence_observer(PresenceObserver f);

  // Namespace membership. add_member registers the socket's own id (its implicit room).
  // It is a no-op when the slot is already a member, the slot is >= kSlotLimit, or the id
  // belongs to another member (ids must be unique; check is_member() if unsure).
  void add_member(uint32_t slot, std::string_view socket_id);
  // Removes the slot from the namespace and from every room (deleting rooms left empty).
  void remove_member(uint32_t slot);
  bool is_member(uint32_t slot) const;
  size_t member_count() const;

  // Explicit rooms. Joining a room named like another member's id is allowed and is a real
  // room. Joining or leaving the member's own id is a no-op (it is always in that room, as
  // Socket.IO puts every socket in its id room); join still returns true.
  // join returns false if the slot is not a member (nothing changes).
  bool join(uint32_t slot, std::string_view room);
  void leave(uint32_t slot, std::string_view room);

  // Rooms of a member: its own id first, then explicit rooms in join order.
  std::vector<std::string> rooms_of(uint32_t slot) const;
  // Slot of a member id on this shard, or -1.
  int64_t slot_of(std::string_view socket_id) const;
  // Empty when the slot is not a member.
  std::string_view id_of(uint32_t slot) const;
  size_t room_count() const;                   // explicit rooms currently non-empty
  std::vector<std::string> all_rooms() const;  // explicit rooms and member ids, sorted, unique

  // Calls f(slot) once for each recipient, in ascending slot order:
  // (union of `rooms`, or all members if `rooms` is empty) minus union of `except`.
  // A name in rooms/except matches an explicit room and/or the member whose id it is.
  // Returns the number of recipients. Allocates at most per call, never per recipient.
  // f must not change this table.
  template <class F>
  size_t for_each_recipient(std::span<const std::string_view> rooms,
                            std::span<const std::string_view> except, F&& f) const {
    Target t = resolve(rooms, except);
    OwnedGuard guard{t.owned};
    if (t.set == nullptr) {
      if (t.single < 0) return 0;
      f(static_cast<uint32_t>(t.single));
      return 1;
    }
    return walk(t, f);
  }

 private:
  // Few enough excluded member ids to skip during the walk instead of building a bitmap;
  // socket.to(room) excludes exactly one (the sender).
  static constexpr uint32_t kMaxSkip = 4;
  // Excluded rooms tested per recipient when the target is small next to them: a difference
  // of sorted arrays costs the size of both, testing membership only the target's.
  static constexpr uint32_t kMaxFilter = 4;
  static constexpr uint32_t kBatch = 256;

  // What one broadcast resolves to: nothing, one slot, or a bitmap (borrowed from the table
  // or built for this call) minus a few slots and rooms tested while walking it.
  struct Target {
    const roaring_bitmap_t* set = nullptr;
    roaring_bitmap_t* owned = nullptr;  // == set when built for this call
    int64_t single = -1;
    uint32_t nskip = 0;
    uint32_t nfilter = 0;
    uint32_t skip[kMaxSkip];  // ascending
    const roaring_bitmap_t* filter[kMaxFilter];
  };
  struct OwnedGuard {
    roaring_bitmap_t* p;
    ~OwnedGuard() {
      if (p != nullptr) roaring_bitmap_free(p);
    }
  };

  Target resolve(std::span<const std::string_view> rooms,
                 std::span<const std::string_view> except) const;

  template <class F>
  static size_t walk(const Target& t, F& f) {
    return t.nfilter == 0 ? walk_batches<false>(t, f) : walk_batches<true>(t, f);
  }

  // Reads slots in batches so the library call is per batch and f is inlined per slot.
  template <bool kFiltered, class F>
  static size_t walk_batches(const Target& t, F& f) {
    roaring_uint32_iterator_t it;
    roaring_init_iterator(t.set, &it);
    uint32_t buf[kBatch];
    size_t n = 0;
    uint32_t si = 0;
    // Slots are < kSlotLimit, so UINT32_MAX never matches one.
    uint32_t next_skip = t.nskip > 0 ? t.skip[0] : UINT32_MAX;
    for (;;) {
      const uint32_t got = roaring_read_uint32_iterator(&it, buf, kBatch);
      for (uint32_t i = 0; i < got; ++i) {
        const uint32_t slot = buf[i];
        if (slot >= next_skip) [[unlikely]] {
          while (next_skip < slot) next_skip = ++si < t.nskip ? t.skip[si] : UINT32_MAX;
          if (slot == next_skip) continue;
        }
        if constexpr (kFiltered) {
          if (excluded_by_filter(t, slot)) continue;
        }
        f(slot);
        ++n;
      }
      if (got < kBatch) return n;
    }
  }

  static bool excluded_by_filter(const Target& t, uint32_t slot) {
    for (uint32_t j = 0; j < t.nfilter; ++j) {
      if (roaring_bitmap_contains(t.filter[j], slot)) return true;
    }
    return false;
  }

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace roomcast::detail
