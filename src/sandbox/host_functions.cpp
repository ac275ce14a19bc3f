#include "sandbox/host_functions.h"

#include "common/error.h"

namespace hl {

void HostFunctionRegistry::add(std::unique_ptr<HostFunction> fn) {
  if (shared_ != nullptr && shared_->count(fn->name()) != 0)
    throw Error(ErrorCode::kAlreadyRegistered,
                format("hl_register: host function '%s' is already in the sandbox's host-function set "
                       "(hl_config_set_host_functions); give this one another name",
                       fn->name().c_str()));
  if (own_.count(fn->name()) != 0)
    throw Error(ErrorCode::kAlreadyRegistered,
                format("hl_register: host function '%s' is already registered", fn->name().c_str()));
  std::string key = fn->name();
  own_.emplace(std::move(key), std::move(fn));
}

}  // namespace hl
