// A naive model of TimerWheel (a map from slot to its one deadline; the earliest fires next,
// to the millisecond) and an interpreter that runs one byte program against both and reports
// the first disagreement. Shared by the randomized differential unit test and the fuzz target.
#pragma once
#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "util/timer_wheel.h"

namespace roomcast::testing {

using roomcast::detail::TimerWheel;

struct WheelModel {
  struct Due {
    uint32_t gen;
    int64_t deadline_ms;
    int64_t fire_ms;  // when it fires: its deadline, or the next millisecond if that had passed
  };
  int64_t now;
  std::map<uint32_t, Due> pending;
  std::set<std::pair<int64_t, uint32_t>> by_fire;  // (fire_ms, slot): the earliest first

  explicit WheelModel(int64_t now_ms) : now(now_ms) {}

  void schedule(uint32_t slot, uint32_t gen, int64_t deadline_ms) {
    cancel(slot);
    const Due d{gen, deadline_ms, std::max(deadline_ms, now + 1)};
    pending[slot] = d;
    by_fire.insert({d.fire_ms, slot});
  }
  void cancel(uint32_t slot) {
    auto it = pending.find(slot);
    if (it == pending.end()) return;
    by_fire.erase({it->second.fire_ms, slot});
    pending.erase(it);
  }

  // The earliest time something fires, or INT64_MAX.
  int64_t next_fire() const { return by_fire.empty() ? INT64_MAX : by_fire.begin()->first; }

  // Moves to `at` (a next_fire() time) and takes what fires then.
  std::vector<TimerWheel::Entry> take_due(int64_t at) {
    now = at;
    std::vector<TimerWheel::Entry> out;
    while (!by_fire.empty() && by_fire.begin()->first <= at) {
      const uint32_t slot = by_fire.begin()->second;
      const Due d = pending.at(slot);
      out.push_back({slot, d.gen, d.deadline_ms});
      cancel(slot);
    }
    return out;
  }
};

// Runs `program` (opcode byte + operand bytes; short reads end it) on a wheel with a small
// geometry (16 ms, then levels of 4 buckets: 64 ms, 256 ms, 1024 ms, so short programs
// cascade through every level and past the last) and on the model. Returns "" when they
// agree throughout, else what differed.
// Opcodes: schedule (slot, gen, a deadline from 40 ms behind to ~3 s ahead, past the wheel's
// span), cancel, advance (0 ms to ~4 s, in steps of several sizes), and advance whose due()
// reschedules the fired slot and one other slot (the shard's timer callback reschedules the
// slot it is told about).
inline std::string run_wheel_program(std::span<const uint8_t> program, uint32_t slots = 64) {
  int64_t now = 1000;
  TimerWheel wheel(now, 4, 2);
  WheelModel model(now);
  size_t i = 0;
  auto byte = [&](uint8_t& out) {
    if (i >= program.size()) return false;
    out = program[i++];
    return true;
  };
  auto same_fired = [](std::vector<TimerWheel::Entry> got, std::vector<TimerWheel::Entry> want) {
    // The order within one millisecond is the wheel's own business: compare as multisets.
    auto key = [](const TimerWheel::Entry& e) { return std::tuple(e.slot, e.gen, e.deadline_ms); };
    auto less = [&](const auto& a, const auto& b) { return key(a) < key(b); };
    std::sort(got.begin(), got.end(), less);
    std::sort(want.begin(), want.end(), less);
    return std::equal(got.begin(), got.end(), want.begin(), want.end(),
                      [&](const auto& a, const auto& b) { return key(a) == key(b); });
  };
  uint8_t op, a, b, c;
  while (byte(op)) {
    switch (op % 4) {
      case 0: {  // schedule
        if (!byte(a) || !byte(b) || !byte(c)) return "";
        const uint32_t slot = a % slots;
        const int64_t deadline = now - 40 + (int64_t(b) | int64_t(c % 12) << 8);
        wheel.schedule(slot, c, deadline);
        model.schedule(slot, c, deadline);
        break;
      }
      case 1: {  // cancel
        if (!byte(a)) return "";
        wheel.cancel(a % slots);
        model.cancel(a % slots);
        break;
      }
      case 2:
      case 3: {  // advance, plain or rescheduling from due()
        if (!byte(a)) return "";
        const bool resched = op % 4 == 3;
        now += int64_t(a & 63) << ((a >> 6) * 2);
        // The wheel may never promise to sleep past something due.
        if (wheel.next_due_ms() > model.next_fire()) return "next_due_ms is later than a deadline";
        // What the wheel did, millisecond by millisecond: the entries it fired and the
        // schedules its due() made, in order. The model takes its own due entries for each
        // time, compares, then replays those schedules at the same time and in the same order.
        struct Call {
          int64_t at;
          TimerWheel::Entry fired;
          std::vector<TimerWheel::Entry> scheduled;
        };
        std::vector<Call> calls;
        wheel.advance(now, [&](const TimerWheel::Entry& e) {
          Call call{wheel.now_ms(), e, {}};
          if (resched) {
            // Sparse enough that a long advance is not one fire per millisecond all along.
            const TimerWheel::Entry again{e.slot, e.gen + 1, e.deadline_ms + 1 + int64_t(e.gen % 200) * 9};
            const TimerWheel::Entry other{(e.slot * 7 + 3) % slots, 0,
                                          wheel.now_ms() - 5 + int64_t((e.slot * 31 + e.gen) % 90) * 23};
            for (const auto& m : {again, other}) {
              wheel.schedule(m.slot, m.gen, m.deadline_ms);
              call.scheduled.push_back(m);
            }
          }
          calls.push_back(std::move(call));
        });
        size_t k = 0;
        for (int64_t t = model.next_fire(); t <= now; t = model.next_fire()) {
          std::vector<TimerWheel::Entry> got;
          for (size_t j = k; j < calls.size() && calls[j].at == t; ++j) got.push_back(calls[j].fired);
          if (!same_fired(got, model.take_due(t))) return "fired entries differ at " + std::to_string(t);
          for (; k < calls.size() && calls[k].at == t; ++k)
            for (const auto& m : calls[k].scheduled) model.schedule(m.slot, m.gen, m.deadline_ms);
        }
        model.now = now;
        if (k != calls.size()) return "the wheel fired when nothing was due";
        if (wheel.now_ms() != now) return "the wheel's time is not the advanced time";
        break;
      }
    }
    for (uint32_t s = 0; s < slots; ++s) {
      auto it = model.pending.find(s);
      if (wheel.deadline(s) != (it == model.pending.end() ? 0 : it->second.deadline_ms))
        return "deadline(" + std::to_string(s) + ") differs";
    }
  }
  return "";
}

}  // namespace roomcast::testing
