#include "sandbox/host_function_set.h"

#include "common/error.h"

namespace hl {

void HostFunctionSet::add(std::unique_ptr<HostFunction> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (frozen_)
    throw Error(ErrorCode::kHostFunctionsFrozen,
                format("hl_host_functions_add('%s'): the set is frozen, a sandbox was made with it; make a new set "
                       "(hl_host_functions_new) that has every function you need",
                       fn->name().c_str()));
  if (table_->count(fn->name()) != 0)
    throw Error(ErrorCode::kAlreadyRegistered,
                format("hl_host_functions_add: the set already has a host function '%s'", fn->name().c_str()));
  std::string key = fn->name();
  table_->emplace(std::move(key), std::move(fn));
}

std::shared_ptr<const HostFunctionTable> HostFunctionSet::freeze() {
  std::lock_guard<std::mutex> lock(mu_);
  frozen_ = true;
  return table_;
}

}  // namespace hl
