// The typed handles of loop/handles.h: equality over every field, and no cost over the
// integers they wrap (same size, trivially copyable, so passed in registers).
#include "loop/handles.h"

#include <gtest/gtest.h>

#include <type_traits>

using roomcast::detail::ConnId;
using roomcast::detail::ConnRef;
using roomcast::detail::ShardId;

static_assert(sizeof(ShardId) == sizeof(unsigned));
static_assert(sizeof(ConnId) == 2 * sizeof(uint32_t));
static_assert(std::is_trivially_copyable_v<ShardId> && std::is_trivially_copyable_v<ConnId> &&
              std::is_trivially_copyable_v<ConnRef>);
// A shard index is not a connection handle, nor the other way round.
static_assert(!std::is_convertible_v<unsigned, ShardId> && !std::is_convertible_v<ShardId, unsigned>);
static_assert(!std::is_convertible_v<ShardId, ConnId>);

TEST(Handles, ConnIdEqualityNeedsSlotAndGeneration) {
  EXPECT_EQ((ConnId{3, 7}), (ConnId{3, 7}));
  EXPECT_NE((ConnId{3, 7}), (ConnId{3, 8}));  // the slot reused by a later connection
  EXPECT_NE((ConnId{3, 7}), (ConnId{4, 7}));
}

TEST(Handles, ConnRefEqualityNeedsShardToo) {
  const ConnRef a{ShardId{1}, ConnId{3, 7}};
  EXPECT_EQ(a, (ConnRef{ShardId{1}, ConnId{3, 7}}));
  EXPECT_NE(a, (ConnRef{ShardId{2}, ConnId{3, 7}}));
  EXPECT_NE(a, (ConnRef{ShardId{1}, ConnId{3, 6}}));
  EXPECT_NE(a, (ConnRef{ShardId{1}, ConnId{2, 7}}));
}

TEST(Handles, DefaultsAreZero) {
  EXPECT_EQ(ShardId{}.value, 0u);
  EXPECT_EQ((ConnId{}), (ConnId{0, 0}));
  EXPECT_EQ((ConnRef{}), (ConnRef{ShardId{0}, ConnId{0, 0}}));
}
