// Room membership of one namespace on one shard, over shard-local connection slots.
//
// Each room is a compressed bitmap (CRoaring) of slots; the namespace's member set is a
// bitmap too. A socket is implicitly in the room named by its own id: that costs a hash
// entry (id -> slot), not a bitmap. Single-threaded: owned by its shard.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace roomcast::detail {

class RoomTable {
 public:
  RoomTable();
  ~RoomTable();
  RoomTable(const RoomTable&) = delete;
  RoomTable& operator=(const RoomTable&) = delete;

  // Namespace membership. add_member registers the socket's own id (its implicit room).
  void add_member(uint32_t slot, std::string_view socket_id);
  // Removes the slot from the namespace and from every room (deleting rooms left empty).
  void remove_member(uint32_t slot);
  bool is_member(uint32_t slot) const;
  size_t member_count() const;

  // Explicit rooms. Joining a room named like a member's id is allowed and is a real room.
  // Returns false if the slot is not a member (nothing changes).
  bool join(uint32_t slot, std::string_view room);
  void leave(uint32_t slot, std::string_view room);

  // Rooms of a member: its own id first, then explicit rooms in join order.
  std::vector<std::string> rooms_of(uint32_t slot) const;
  // Slot of a member id on this shard, or -1.
  int64_t slot_of(std::string_view socket_id) const;
  std::string_view id_of(uint32_t slot) const;
  size_t room_count() const;            // explicit rooms currently non-empty
  std::vector<std::string> all_rooms() const;  // explicit rooms and member ids

  // Calls f(slot) once for each recipient, in ascending slot order:
  // (union of `rooms`, or all members if `rooms` is empty) minus union of `except`.
  // A name in rooms/except matches an explicit room and/or the member whose id it is.
  // Returns the number of recipients. Allocates at most per call, never per recipient.
  template <class F>
  size_t for_each_recipient(std::span<const std::string_view> rooms,
                            std::span<const std::string_view> except, F&& f) const {
    return resolve(rooms, except, [](void* ctx, uint32_t slot) { (*static_cast<F*>(ctx))(slot); }, &f);
  }

 private:
  using Visit = void (*)(void*, uint32_t);
  size_t resolve(std::span<const std::string_view> rooms, std::span<const std::string_view> except,
                 Visit visit, void* ctx) const;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace roomcast::detail
