// What a completion is for: the 64-bit user_data of an SQE, typed.
//
// Every SQE carries the operation it started and whose it was (a connection slot and that
// slot's generation), so a completion is dispatched without a lookup table, and one for a
// slot that has since been reused (generation moved on) is recognised as stale. Encoding and
// decoding are a few shifts, inline: they run once per SQE and once per CQE.
#pragma once
#include <cstdint>

namespace roomcast::uring {

// The operations the engine's shards and the bench harness's workers submit. None (0) marks
// a completion nobody waits for (a cancel, a linked setsockopt).
enum class Op : uint8_t { None = 0, Accept, Recv, Send, Shutdown, Close, Wake, Connect };

// Layout: op in the top 8 bits, slot in the next 24, generation in the low 32. 24 bits of
// slot are 16M connections per ring, far above what one ring's fixed-file table holds.
struct UserData {
  static constexpr uint32_t kMaxSlot = (1u << 24) - 1;

  Op op = Op::None;
  uint32_t slot = 0;
  uint32_t gen = 0;

  static constexpr uint64_t encode(Op op, uint32_t slot = 0, uint32_t gen = 0) {
    return (uint64_t(op) << 56) | (uint64_t(slot & kMaxSlot) << 32) | gen;
  }
  static constexpr UserData decode(uint64_t ud) {
    return UserData{Op(ud >> 56), uint32_t(ud >> 32) & kMaxSlot, uint32_t(ud)};
  }
};

}  // namespace roomcast::uring
