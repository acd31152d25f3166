// Fault injection for tests of the shard's io_uring error paths that real conditions cannot
// produce on demand. Zero unless a test sets it; unused, it costs one relaxed load on the
// rare mid-turn submit (the submission queue was full).
#pragma once
#include <atomic>
#include <cstdint>

namespace roomcast::detail::test_hooks {

// The next N mid-turn submits take nothing, as when the kernel answers -EAGAIN (no memory
// for requests). Shared by every shard of the process.
extern std::atomic<uint32_t> refuse_submits;

}  // namespace roomcast::detail::test_hooks
