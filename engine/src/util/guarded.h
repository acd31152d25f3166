// Calling application code from the engine: handlers, callbacks and middleware may throw
// anything, and the thread that calls them (a shard, the Redis adapter) serves every other
// connection too, so nothing they throw may unwind into it.
#pragma once

#include <exception>
#include <string>
#include <string_view>

namespace roomcast::detail {

// Runs f(); if it throws, hands "<what> threw: <message>" (or "... threw a non-exception")
// to `report` and returns false, with the std::exception's message in `*error` when asked.
template <class F, class Report>
bool call_guarded(std::string_view what, F&& f, Report&& report, std::string* error = nullptr) noexcept {
  try {
    f();
    return true;
  } catch (const std::exception& e) {
    report(std::string(what) + " threw: " + e.what());
    if (error) *error = e.what();
  } catch (...) {
    report(std::string(what) + " threw a non-exception");
  }
  return false;
}

}  // namespace roomcast::detail
