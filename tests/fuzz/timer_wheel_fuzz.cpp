// Differential fuzzing of the timer wheel against a naive model: the input is a program of
// schedule / cancel / advance operations (see run_wheel_program); any disagreement aborts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "timer_wheel_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string diff = roomcast::testing::run_wheel_program(std::span(data, size));
  if (!diff.empty()) {
    std::fprintf(stderr, "timer_wheel_fuzz: %s\n", diff.c_str());
    std::abort();
  }
  return 0;
}
