// A naive model of TimerWheel (a map from slot to its one deadline, scanned in full on every
// tick) and an interpreter that runs one byte program against both and reports the first
// disagreement. Shared by the randomized differential unit test and the fuzz target.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
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
    int64_t tick;  // the tick it fires on
  };
  int64_t tick_ms;
  int64_t current_tick;
  std::map<uint32_t, Due> pending;

  WheelModel(int64_t now_ms, int64_t tick) : tick_ms(tick), current_tick(now_ms / tick) {}

  void schedule(uint32_t slot, uint32_t gen, int64_t deadline_ms) {
    pending[slot] = {gen, deadline_ms, std::max(deadline_ms / tick_ms, current_tick + 1)};
  }
  void cancel(uint32_t slot) { pending.erase(slot); }

  // Takes what fires on `tick` (the model moves one tick at a time, like the wheel, so that
  // reschedules made from due() see the same current tick on both sides).
  std::vector<TimerWheel::Entry> take_due(int64_t tick) {
    current_tick = tick;
    std::vector<TimerWheel::Entry> out;
    for (auto it = pending.begin(); it != pending.end();) {
      if (it->second.tick <= tick) {
        out.push_back({it->first, it->second.gen, it->second.deadline_ms});
        it = pending.erase(it);
      } else {
        ++it;
      }
    }
    return out;
  }
};

// Runs `program` (opcode byte + operand bytes; short reads end it) on a wheel and the model
// with the same geometry. Returns "" when they agree throughout, else what differed.
// Opcodes: schedule (slot, gen, a deadline from 40 ms behind to ~5 revolutions ahead),
// cancel, advance (0 to ~3 revolutions), and advance whose due() reschedules the fired slot
// and one other slot (the shard's timer callback reschedules the slot it is told about).
inline std::string run_wheel_program(std::span<const uint8_t> program, uint32_t slots = 64) {
  constexpr uint32_t kTick = 10, kBuckets = 16;  // one revolution: 160 ms
  int64_t now = 1000;
  TimerWheel wheel(now, kTick, kBuckets);
  WheelModel model(now, kTick);
  size_t i = 0;
  auto byte = [&](uint8_t& out) {
    if (i >= program.size()) return false;
    out = program[i++];
    return true;
  };
  auto same_fired = [](std::vector<TimerWheel::Entry> got, std::vector<TimerWheel::Entry> want) {
    // The order within one advance is the wheel's own business: compare as multisets.
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
        const int64_t deadline = now - 40 + int64_t(b) * 2 + int64_t(c % 4) * 160 * 3 / 4;
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
        now += int64_t(a) * 2;
        // What the wheel did, tick by tick: the entries it fired and the schedules its due()
        // made, in order. The model takes its own due entries per tick, compares, then replays
        // those schedules, so both see them at the same tick and in the same order.
        struct Call {
          int64_t tick;
          TimerWheel::Entry fired;
          std::vector<TimerWheel::Entry> scheduled;
        };
        std::vector<Call> calls;
        wheel.advance(now, [&](const TimerWheel::Entry& e) {
          const int64_t tick = wheel.next_tick_ms() / kTick - 1;
          Call call{tick, e, {}};
          if (resched) {
            const TimerWheel::Entry again{e.slot, e.gen + 1, e.deadline_ms + 1 + (e.gen % 200)};
            const TimerWheel::Entry other{(e.slot * 7 + 3) % slots, 0, now - 5 + (e.gen % 90)};
            for (const auto& m : {again, other}) {
              wheel.schedule(m.slot, m.gen, m.deadline_ms);
              call.scheduled.push_back(m);
            }
          }
          calls.push_back(std::move(call));
        });
        size_t k = 0;
        for (int64_t t = model.current_tick + 1; t <= now / kTick; ++t) {
          std::vector<TimerWheel::Entry> got;
          for (size_t j = k; j < calls.size() && calls[j].tick == t; ++j)
            got.push_back(calls[j].fired);
          if (!same_fired(got, model.take_due(t)))
            return "fired entries differ at tick " + std::to_string(t);
          for (; k < calls.size() && calls[k].tick == t; ++k)
            for (const auto& m : calls[k].scheduled) model.schedule(m.slot, m.gen, m.deadline_ms);
        }
        if (k != calls.size()) return "the wheel fired outside the advanced range";
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
