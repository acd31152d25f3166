// Room assignment of the bench harness: publishers' rooms, slot arithmetic, zipf skew.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "../../bench/harness/rooms.h"

using roomcast::bench::RoomPlan;
using roomcast::bench::Spread;

TEST(BenchRooms, UniformIsRoundRobin) {
  RoomPlan p(10, 3, Spread::Uniform, 1.0);
  for (uint64_t c = 0; c < 1000; ++c) EXPECT_EQ(p.room_of(c), c % 10);
}

TEST(BenchRooms, PublishersSitInRoomIModR) {
  for (Spread s : {Spread::Uniform, Spread::Zipf}) {
    RoomPlan p(7, 30, s, 1.2);
    for (uint32_t i = 0; i < 30; ++i) EXPECT_EQ(p.room_of(i), i % 7);
  }
}

TEST(BenchRooms, PublishersPerRoomAndSlots) {
  for (uint32_t rooms : {1u, 3u, 10u, 64u}) {
    for (uint32_t pubs : {1u, 2u, 10u, 33u, 100u}) {
      RoomPlan p(rooms, pubs, Spread::Uniform, 1.0);
      std::vector<uint32_t> count(rooms, 0);
      for (uint32_t i = 0; i < pubs; ++i) {
        const uint32_t r = i % rooms;
        // Slots of a room's publishers are 0..n-1, each used once.
        EXPECT_EQ(RoomPlan::slot_of(i, rooms), count[r]);
        ++count[r];
      }
      uint32_t total = 0;
      for (uint32_t r = 0; r < rooms; ++r) {
        EXPECT_EQ(p.publishers_in(r), count[r]) << rooms << " " << pubs << " " << r;
        total += p.publishers_in(r);
      }
      EXPECT_EQ(total, pubs);
    }
  }
}

TEST(BenchRooms, ZipfIsSkewedAsTheLawSays) {
  const uint32_t rooms = 20;
  const double s = 1.0;
  RoomPlan p(rooms, 1, Spread::Zipf, s);
  std::vector<uint32_t> count(rooms, 0);
  const uint32_t n = 200'000;
  for (uint64_t c = 1; c <= n; ++c) ++count[p.room_of(c)];
  double norm = 0;
  for (uint32_t k = 1; k <= rooms; ++k) norm += 1.0 / std::pow(k, s);
  for (uint32_t k = 0; k < rooms; ++k) {
    const double expected = n / std::pow(k + 1, s) / norm;
    EXPECT_NEAR(count[k], expected, 5 * std::sqrt(expected) + 1) << "room " << k;
  }
  EXPECT_GT(count[0], count[rooms - 1] * 10);
}

TEST(BenchRooms, AssignmentIsDeterministic) {
  RoomPlan a(50, 5, Spread::Zipf, 0.8), b(50, 5, Spread::Zipf, 0.8);
  for (uint64_t c = 0; c < 5000; ++c) ASSERT_EQ(a.room_of(c), b.room_of(c));
  EXPECT_EQ(RoomPlan::name(3), "room-3");
}
