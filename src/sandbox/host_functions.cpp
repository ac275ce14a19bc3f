#include "sandbox/host_functions.h"

#include "common/error.h"

namespace hl {

void HostFunctionRegistry::add(std::unique_ptr<HostFunction> fn) {
  if (functions_.count(fn->name()) != 0)
    throw Error(ErrorCode::kAlreadyRegistered,
                format("hl_register: host function '%s' is already registered", fn->name().c_str()));
  std::string key = fn->name();
  functions_.emplace(std::move(key), std::move(fn));
}

const HostFunction *HostFunctionRegistry::find(std::string_view name) const {
  auto it = functions_.find(name);
  return it == functions_.end() ? nullptr : it->second.get();
}

}  // namespace hl
