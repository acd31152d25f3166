#include "loop/admission.h"

namespace roomcast::detail {

Admission::Verdict Admission::admit(std::string_view address) {
  std::lock_guard lock(mu_);
  if (max_total_ && total_ >= max_total_) return Verdict::TooManyConnections;
  if (max_per_address_) {
    auto it = per_address_.find(std::string(address));
    uint32_t n = it == per_address_.end() ? 0 : it->second;
    if (n >= max_per_address_) return Verdict::TooManyFromAddress;
    if (it == per_address_.end())
      per_address_.emplace(std::string(address), 1);
    else
      ++it->second;
  }
  ++total_;
  return Verdict::Admit;
}

void Admission::release(std::string_view address) {
  std::lock_guard lock(mu_);
  --total_;
  if (!max_per_address_) return;
  auto it = per_address_.find(std::string(address));
  if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
}

uint32_t Admission::total() const {
  std::lock_guard lock(mu_);
  return total_;
}

}  // namespace roomcast::detail
