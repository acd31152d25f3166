// Shared by the worker's translation units: completion tags and fixed sizes.
#pragma once
#include <cstdint>

namespace roomcast::bench::detail {

enum Tag : uint64_t { kConnect = 1, kRecv = 2, kSend = 3, kIgnore = 4 };
inline uint64_t tag(Tag t, uint32_t i) { return (uint64_t(t) << 32) | i; }

inline constexpr uint32_t kBufSize = 16384;  // one provided receive buffer
inline constexpr uint64_t kMs = 1'000'000;
inline constexpr uint32_t kMaxStartsPerTurn = 256;

}  // namespace roomcast::bench::detail
