// The cross-thread index of local rooms that lets the Redis adapter skip room channels with
// no local member: fed by RoomTable's presence observer, counted per shard.
#include <gtest/gtest.h>

#include <algorithm>

#include "cluster/redis/redis_url.h"
#include "rooms/room_presence.h"
#include "rooms/room_table.h"

using namespace roomcast::detail;

TEST(RoomPresence, FollowsRoomTablesOfTwoShards) {
  RoomPresence p;
  RoomTable t0, t1;
  t0.set_presence_observer([&](std::string_view n, bool on) { p.set(7, n, on); });
  t1.set_presence_observer([&](std::string_view n, bool on) { p.set(7, n, on); });
  t0.add_member(0, "AAAAAAAAAAAAAAAAAAAA");
  EXPECT_TRUE(p.has(7, "AAAAAAAAAAAAAAAAAAAA"));  // socket ids count as rooms, as in Node
  EXPECT_FALSE(p.has(8, "AAAAAAAAAAAAAAAAAAAA"));  // other namespace
  t1.add_member(3, "BBBBBBBBBBBBBBBBBBBB");
  EXPECT_FALSE(p.has(7, "r"));
  t0.join(0, "r");
  t1.join(3, "r");
  t0.join(0, "r");  // twice: no double count
  EXPECT_TRUE(p.has(7, "r"));
  t0.leave(0, "r");
  EXPECT_TRUE(p.has(7, "r"));  // still on shard 1
  t1.remove_member(3);
  EXPECT_FALSE(p.has(7, "r"));
  EXPECT_FALSE(p.has(7, "BBBBBBBBBBBBBBBBBBBB"));
  t0.join(0, "AAAAAAAAAAAAAAAAAAAA");  // own id: no-op
  auto names = p.names(7);
  EXPECT_EQ(names, std::vector<std::string>{"AAAAAAAAAAAAAAAAAAAA"});
  t0.remove_member(0);
  EXPECT_TRUE(p.names(7).empty());
}

TEST(RedisUrl, Parses) {
  auto a = parse_redis_url("redis://127.0.0.1:6380");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 6380);
  auto b = parse_redis_url("redis://localhost/0");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "localhost");
  EXPECT_EQ(b->port, 6379);
  auto c = parse_redis_url("redis://[::1]:7000");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, 7000);
  auto d = parse_redis_url("10.0.0.1:1");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->port, 1);
  for (const char* bad : {"", "redis://", "redis://h:", "redis://h:0", "redis://h:70000", "redis://u:p@h:1",
                          "redis://h:12x", "redis://[::1"})
    EXPECT_FALSE(parse_redis_url(bad)) << bad;
}
