// Shared by the worker's translation units: completion tags and fixed sizes.
#pragma once
#include <cstdint>

#include "uring/user_data.h"

namespace roomcast::bench::detail {

// user_data (uring/user_data.h): the operation and the connection's index in the worker.
// Connections are never reused within a run, so the generation stays 0.
using uring::Op;
inline constexpr uint64_t tag(Op op, uint32_t i) { return uring::UserData::encode(op, i); }

inline constexpr uint32_t kBufSize = 16384;  // one provided receive buffer
inline constexpr uint64_t kMs = 1'000'000;
inline constexpr uint32_t kMaxStartsPerTurn = 256;

}  // namespace roomcast::bench::detail
