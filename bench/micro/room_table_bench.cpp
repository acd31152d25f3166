// Per-recipient cost of resolving a broadcast to slots.
//
// Part 1 (DS/*) picks the room data structure: CRoaring against a plain dense bitset over the
// slot range and against std::set, on one room, a union of rooms, a union minus exclusions,
// and join/leave. The sink there only consumes the slot, so the structure's cost shows.
// Part 2 (Table/*) runs RoomTable::for_each_recipient with the work the shard does per
// recipient (queue a frame pointer, count bytes), next to the same sink fed from a plain
// array (Sink/Floor), which is the floor no room structure can beat.
//
// Every benchmark reports per_recipient (time per recipient, or per op for join/leave) and
// items_per_second; DS/Iterate also reports heap_bytes, the heap one room of that shape uses.
#include "rooms/room_table.h"

#include <benchmark/benchmark.h>
#include <malloc.h>
#include <roaring/roaring.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

using roomcast::detail::RoomTable;

// Distinct slots in [0, universe), ascending; the same seed gives the same room.
std::vector<uint32_t> pick(uint32_t universe, uint32_t count, uint32_t seed) {
  std::vector<uint32_t> all(universe);
  std::iota(all.begin(), all.end(), 0u);
  std::mt19937 rng(seed);
  std::shuffle(all.begin(), all.end(), rng);
  all.resize(std::min(count, universe));
  std::sort(all.begin(), all.end());
  return all;
}

void report(benchmark::State& st, size_t items) {
  st.SetItemsProcessed(static_cast<int64_t>(items));
  st.counters["per_recipient"] = benchmark::Counter(
      static_cast<double>(items), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// Heap bytes one room of this shape holds. Built many times over, because malloc's
// per-thread caches hide a handful of small blocks from mallinfo2.
template <class Make>
double heap_per_room(Make make) {
  constexpr int kCopies = 64;
  std::vector<decltype(make())> rooms;
  rooms.reserve(kCopies);
  const size_t reserved = mallinfo2().uordblks;
  for (int i = 0; i < kCopies; ++i) rooms.push_back(make());
  const size_t after = mallinfo2().uordblks;
  return static_cast<double>(after - reserved) / kCopies;
}

// ---- the three candidate structures ----

struct Roaring {
  roaring_bitmap_t* b = roaring_bitmap_create();
  Roaring() = default;
  explicit Roaring(const std::vector<uint32_t>& slots) {
    for (uint32_t s : slots) roaring_bitmap_add(b, s);  // one by one, as joins build it
  }
  Roaring(Roaring&& o) noexcept : b(o.b) { o.b = nullptr; }
  Roaring(const Roaring&) = delete;
  ~Roaring() {
    if (b != nullptr) roaring_bitmap_free(b);
  }
  void join(uint32_t s) { roaring_bitmap_add(b, s); }
  void leave(uint32_t s) { roaring_bitmap_remove(b, s); }
};

template <class F>
void each(const roaring_bitmap_t* b, F&& f) {
  roaring_uint32_iterator_t it;
  roaring_init_iterator(b, &it);
  uint32_t buf[256];
  for (;;) {
    const uint32_t got = roaring_read_uint32_iterator(&it, buf, 256);
    for (uint32_t i = 0; i < got; ++i) f(buf[i]);
    if (got < 256) return;
  }
}

// One bit per slot of the whole shard, whatever the room's size.
struct Bitset {
  std::vector<uint64_t> w;
  explicit Bitset(uint32_t universe) : w((universe + 63) / 64) {}
  Bitset(uint32_t universe, const std::vector<uint32_t>& slots) : Bitset(universe) {
    for (uint32_t s : slots) join(s);
  }
  void join(uint32_t s) { w[s >> 6] |= uint64_t{1} << (s & 63); }
  void leave(uint32_t s) { w[s >> 6] &= ~(uint64_t{1} << (s & 63)); }
};

template <class F>
void each(const std::vector<uint64_t>& w, F&& f) {
  for (size_t i = 0; i < w.size(); ++i) {
    for (uint64_t x = w[i]; x != 0; x &= x - 1)
      f(static_cast<uint32_t>(i * 64 + std::countr_zero(x)));
  }
}

struct Tree {
  std::set<uint32_t> s;
  Tree() = default;
  explicit Tree(const std::vector<uint32_t>& slots) : s(slots.begin(), slots.end()) {}
  void join(uint32_t v) { s.insert(v); }
  void leave(uint32_t v) { s.erase(v); }
};

// Isolates the structure: the sink only makes the slot observable.
struct Consume {
  size_t n = 0;
  void operator()(uint32_t s) {
    benchmark::DoNotOptimize(s);
    ++n;
  }
};

// ---- DS/Iterate: recipients of one room. Args: universe, room size ----

void DS_Iterate_Roaring(benchmark::State& st) {
  const auto slots = pick(st.range(0), st.range(1), 1);
  st.counters["heap_bytes"] = heap_per_room([&] { return Roaring(slots); });
  Roaring r(slots);
  size_t total = 0;
  for (auto _ : st) {
    Consume c;
    each(r.b, c);
    total += c.n;
  }
  report(st, total);
}

// The library's own callback iteration: one indirect call per recipient.
void DS_Iterate_RoaringCallback(benchmark::State& st) {
  const auto slots = pick(st.range(0), st.range(1), 1);
  Roaring r(slots);
  size_t total = 0;
  for (auto _ : st) {
    Consume c;
    roaring_iterate(
        r.b,
        [](uint32_t v, void* ctx) {
          (*static_cast<Consume*>(ctx))(v);
          return true;
        },
        &c);
    total += c.n;
  }
  report(st, total);
}

void DS_Iterate_Bitset(benchmark::State& st) {
  const auto slots = pick(st.range(0), st.range(1), 1);
  st.counters["heap_bytes"] = heap_per_room([&] { return Bitset(st.range(0), slots); });
  Bitset b(st.range(0), slots);
  size_t total = 0;
  for (auto _ : st) {
    Consume c;
    each(b.w, c);
    total += c.n;
  }
  report(st, total);
}

void DS_Iterate_StdSet(benchmark::State& st) {
  const auto slots = pick(st.range(0), st.range(1), 1);
  st.counters["heap_bytes"] = heap_per_room([&] { return Tree(slots); });
  Tree t(slots);
  size_t total = 0;
  for (auto _ : st) {
    Consume c;
    for (uint32_t s : t.s) c(s);
    total += c.n;
  }
  report(st, total);
}

// ---- DS/Union: 10 rooms of the same shape, optionally minus one more room.
// Args: universe, room size, with_except ----

constexpr int kUnionRooms = 10;

template <class T, class... Extra>
std::vector<T> make_rooms(uint32_t universe, uint32_t size, Extra... extra) {
  std::vector<T> out;
  out.reserve(kUnionRooms + 1);
  for (int i = 0; i <= kUnionRooms; ++i) out.emplace_back(extra..., pick(universe, size, 100 + i));
  return out;  // the last one is the exclusion
}

void DS_Union_Roaring(benchmark::State& st) {
  const auto rooms = make_rooms<Roaring>(st.range(0), st.range(1));
  const bool except = st.range(2) != 0;
  const roaring_bitmap_t* parts[kUnionRooms];
  for (int i = 0; i < kUnionRooms; ++i) parts[i] = rooms[i].b;
  size_t total = 0;
  for (auto _ : st) {
    roaring_bitmap_t* u = roaring_bitmap_or_many(kUnionRooms, parts);
    if (except) roaring_bitmap_andnot_inplace(u, rooms[kUnionRooms].b);
    Consume c;
    each(u, c);
    total += c.n;
    roaring_bitmap_free(u);
  }
  report(st, total);
}

// The same union built by copying one room and OR-ing the others into it in place.
void DS_Union_RoaringPairwise(benchmark::State& st) {
  const auto rooms = make_rooms<Roaring>(st.range(0), st.range(1));
  const bool except = st.range(2) != 0;
  size_t total = 0;
  for (auto _ : st) {
    roaring_bitmap_t* u = roaring_bitmap_copy(rooms[0].b);
    for (int r = 1; r < kUnionRooms; ++r) roaring_bitmap_or_inplace(u, rooms[r].b);
    if (except) roaring_bitmap_andnot_inplace(u, rooms[kUnionRooms].b);
    Consume c;
    each(u, c);
    total += c.n;
    roaring_bitmap_free(u);
  }
  report(st, total);
}

void DS_Union_Bitset(benchmark::State& st) {
  const uint32_t universe = st.range(0);
  const auto rooms = make_rooms<Bitset>(universe, st.range(1), universe);
  const bool except = st.range(2) != 0;
  std::vector<uint64_t> u(rooms[0].w.size());  // scratch reused across broadcasts
  size_t total = 0;
  for (auto _ : st) {
    std::copy(rooms[0].w.begin(), rooms[0].w.end(), u.begin());
    for (int r = 1; r < kUnionRooms; ++r)
      for (size_t i = 0; i < u.size(); ++i) u[i] |= rooms[r].w[i];
    if (except)
      for (size_t i = 0; i < u.size(); ++i) u[i] &= ~rooms[kUnionRooms].w[i];
    Consume c;
    each(u, c);
    total += c.n;
  }
  report(st, total);
}

void DS_Union_StdSet(benchmark::State& st) {
  const auto rooms = make_rooms<Tree>(st.range(0), st.range(1));
  const bool except = st.range(2) != 0;
  std::vector<uint32_t> u;
  u.reserve(size_t{kUnionRooms} * st.range(1));  // scratch reused across broadcasts
  size_t total = 0;
  for (auto _ : st) {
    u.clear();
    for (int r = 0; r < kUnionRooms; ++r) u.insert(u.end(), rooms[r].s.begin(), rooms[r].s.end());
    std::sort(u.begin(), u.end());
    u.erase(std::unique(u.begin(), u.end()), u.end());
    Consume c;
    if (except) {
      auto ex = rooms[kUnionRooms].s.begin(), ex_end = rooms[kUnionRooms].s.end();
      for (uint32_t s : u) {
        while (ex != ex_end && *ex < s) ++ex;
        if (ex == ex_end || *ex != s) c(s);
      }
    } else {
      for (uint32_t s : u) c(s);
    }
    total += c.n;
  }
  report(st, total);
}

// ---- DS/JoinLeave: 256 slots outside the room join it, then leave. Per op.
// Args: universe, room size ----

std::vector<uint32_t> outsiders(uint32_t universe, const std::vector<uint32_t>& room) {
  std::vector<uint32_t> out;
  std::mt19937 rng(7);
  while (out.size() < 256) {
    const uint32_t s = rng() % universe;
    if (!std::binary_search(room.begin(), room.end(), s) &&
        std::find(out.begin(), out.end(), s) == out.end())
      out.push_back(s);
  }
  return out;
}

template <class T, class... Extra>
void join_leave(benchmark::State& st, Extra... extra) {
  const auto slots = pick(st.range(0), st.range(1), 1);
  const auto ops = outsiders(st.range(0), slots);
  T room(extra..., slots);
  size_t total = 0;
  for (auto _ : st) {
    for (uint32_t s : ops) room.join(s);
    for (uint32_t s : ops) room.leave(s);
    total += 2 * ops.size();
  }
  report(st, total);
}
void DS_JoinLeave_Roaring(benchmark::State& st) { join_leave<Roaring>(st); }
void DS_JoinLeave_Bitset(benchmark::State& st) {
  join_leave<Bitset>(st, static_cast<uint32_t>(st.range(0)));
}
void DS_JoinLeave_StdSet(benchmark::State& st) { join_leave<Tree>(st); }

// ---- Part 2: RoomTable with the shard's per-recipient work ----

constexpr size_t kQueueCap = 16;
constexpr uint64_t kFrameBytes = 64;

// A send queue per slot, reserved up front; a full queue is reset rather than grown, so the
// loop stays bounded and never allocates.
struct ShardSink {
  std::vector<std::vector<const void*>> queues;
  std::vector<uint64_t> bytes;
  const void* frame;
  explicit ShardSink(uint32_t universe) : queues(universe), bytes(universe), frame(&bytes) {
    for (auto& q : queues) q.reserve(kQueueCap);
  }
  void operator()(uint32_t s) {
    auto& q = queues[s];
    if (q.size() == q.capacity()) q.clear();
    q.push_back(frame);
    bytes[s] += kFrameBytes;
  }
};

// "r0".."r9"; built by hand because GCC 12 warns falsely (-Wrestrict) on "r" + to_string.
std::string union_room(int r) { return {'r', static_cast<char>('0' + r)}; }

std::string id_for(uint32_t slot) {
  char id[21];
  std::snprintf(id, sizeof id, "sock%016u", slot);
  return id;
}

// Every slot of the universe is a member; "room" holds the picked slots, "other" 10% of
// the universe (an exclusion that is a room), "r0".."r9" are for unions.
struct Fixture {
  RoomTable table;
  std::vector<uint32_t> room;
  std::string sender;  // a member of "room"
  Fixture(uint32_t universe, uint32_t room_size, bool union_rooms) {
    for (uint32_t s = 0; s < universe; ++s) table.add_member(s, id_for(s));
    room = pick(universe, room_size, 1);
    for (uint32_t s : room) table.join(s, "room");
    for (uint32_t s : pick(universe, universe / 10, 2)) table.join(s, "other");
    if (union_rooms) {
      for (int r = 0; r < kUnionRooms; ++r)
        for (uint32_t s : pick(universe, room_size, 100 + r)) table.join(s, union_room(r));
    }
    sender = id_for(room[room.size() / 2]);
  }
};

// Args: universe, room size, except (0 none, 1 the sender's id, 2 the room "other")
void Table_ToRoom(benchmark::State& st) {
  Fixture fx(st.range(0), st.range(1), false);
  ShardSink sink(st.range(0));
  const std::string_view to[] = {"room"};
  const std::string_view ex_id[] = {fx.sender};
  const std::string_view ex_room[] = {"other"};
  std::span<const std::string_view> except;
  if (st.range(2) == 1) except = ex_id;
  if (st.range(2) == 2) except = ex_room;
  size_t total = 0;
  for (auto _ : st) total += fx.table.for_each_recipient(to, except, [&](uint32_t s) { sink(s); });
  report(st, total);
}

// io.emit / socket.broadcast.emit. Args: universe, except (0 none, 1 the sender's id)
void Table_All(benchmark::State& st) {
  Fixture fx(st.range(0), 1, false);
  ShardSink sink(st.range(0));
  const std::string_view ex_id[] = {fx.sender};
  std::span<const std::string_view> except;
  if (st.range(1) == 1) except = ex_id;
  size_t total = 0;
  for (auto _ : st) total += fx.table.for_each_recipient({}, except, [&](uint32_t s) { sink(s); });
  report(st, total);
}

// io.to(r0..r9).except(sender). Args: universe, size of each room
void Table_Union10(benchmark::State& st) {
  Fixture fx(st.range(0), st.range(1), true);
  ShardSink sink(st.range(0));
  std::vector<std::string> names;
  for (int r = 0; r < kUnionRooms; ++r) names.push_back(union_room(r));
  const std::vector<std::string_view> to(names.begin(), names.end());
  const std::string_view ex_id[] = {fx.sender};
  size_t total = 0;
  for (auto _ : st) total += fx.table.for_each_recipient(to, ex_id, [&](uint32_t s) { sink(s); });
  report(st, total);
}

// A private message: io.to(socketId). Args: universe
void Table_ToId(benchmark::State& st) {
  Fixture fx(st.range(0), 1, false);
  ShardSink sink(st.range(0));
  const std::string id = id_for(st.range(0) / 3);
  const std::string_view to[] = {id};
  size_t total = 0;
  for (auto _ : st) total += fx.table.for_each_recipient(to, {}, [&](uint32_t s) { sink(s); });
  report(st, total);
}

// The same sink over a precomputed array of the recipients: "room" of Table_ToRoom
// (Args: universe, room size), or the union of Table_Union10 (Args: universe, room size, 1).
void Sink_Floor(benchmark::State& st) {
  std::vector<uint32_t> slots = pick(st.range(0), st.range(1), 1);
  if (st.range(2) != 0) {
    slots.clear();
    for (int r = 0; r < kUnionRooms; ++r) {
      const auto room = pick(st.range(0), st.range(1), 100 + r);
      slots.insert(slots.end(), room.begin(), room.end());
    }
    std::sort(slots.begin(), slots.end());
    slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
  }
  ShardSink sink(st.range(0));
  size_t total = 0;
  for (auto _ : st) {
    for (uint32_t s : slots) sink(s);
    total += slots.size();
  }
  report(st, total);
}

// socket.join / socket.leave through the table. Args: universe, room size
void Table_JoinLeave(benchmark::State& st) {
  Fixture fx(st.range(0), st.range(1), false);
  const auto ops = outsiders(st.range(0), fx.room);
  size_t total = 0;
  for (auto _ : st) {
    for (uint32_t s : ops) fx.table.join(s, "room");
    for (uint32_t s : ops) fx.table.leave(s, "room");
    total += 2 * ops.size();
  }
  report(st, total);
}

// Room shapes: dense (every slot of 10k), 10% and 1% of 10k, 100 of 100k, and a
// two-person room (a direct conversation) in a 100k shard.
void shapes(benchmark::internal::Benchmark* b) {
  b->Args({10000, 10000})
      ->Args({10000, 1000})
      ->Args({10000, 100})
      ->Args({100000, 100})
      ->Args({100000, 2});
}
void union_shapes(benchmark::internal::Benchmark* b) {
  for (int64_t except : {0, 1}) b->Args({10000, 1000, except})->Args({100000, 100, except});
}
void join_shapes(benchmark::internal::Benchmark* b) { b->Args({10000, 1000})->Args({100000, 100}); }

BENCHMARK(DS_Iterate_Roaring)->Apply(shapes);
BENCHMARK(DS_Iterate_RoaringCallback)->Apply(shapes);
BENCHMARK(DS_Iterate_Bitset)->Apply(shapes);
BENCHMARK(DS_Iterate_StdSet)->Apply(shapes);
BENCHMARK(DS_Union_Roaring)->Apply(union_shapes);
BENCHMARK(DS_Union_RoaringPairwise)->Apply(union_shapes);
BENCHMARK(DS_Union_Bitset)->Apply(union_shapes);
BENCHMARK(DS_Union_StdSet)->Apply(union_shapes);
BENCHMARK(DS_JoinLeave_Roaring)->Apply(join_shapes);
BENCHMARK(DS_JoinLeave_Bitset)->Apply(join_shapes);
BENCHMARK(DS_JoinLeave_StdSet)->Apply(join_shapes);

BENCHMARK(Sink_Floor)->Apply([](benchmark::internal::Benchmark* b) {
  b->Args({10000, 10000, 0})
      ->Args({10000, 100, 0})
      ->Args({100000, 100, 0})
      ->Args({100000, 2, 0})
      ->Args({100000, 100000, 0})
      ->Args({10000, 1000, 1})
      ->Args({100000, 100, 1});
});
BENCHMARK(Table_ToRoom)->Apply([](benchmark::internal::Benchmark* b) {
  for (int64_t except : {0, 1, 2})
    b->Args({10000, 10000, except})
        ->Args({10000, 100, except})
        ->Args({100000, 100, except})
        ->Args({100000, 2, except});
});
BENCHMARK(Table_All)->Args({10000, 0})->Args({10000, 1})->Args({100000, 0});
BENCHMARK(Table_Union10)->Args({10000, 1000})->Args({100000, 100});
BENCHMARK(Table_ToId)->Arg(10000);
BENCHMARK(Table_JoinLeave)->Apply(join_shapes);

}  // namespace
