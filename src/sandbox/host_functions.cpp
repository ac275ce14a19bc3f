#include "sandbox/host_functions.h"

#include "common/error.h"

namespace hl {

HostFunction::HostFunction(std::string name, std::vector<hl_val_kind_t> params, hl_val_kind_t result,
                           hl_host_fn_t callback, void *user_data, hl_finalizer_t finalizer)
    : name_(std::move(name)),
      params_(std::move(params)),
      result_(result),
      callback_(callback),
      user_data_(user_data),
      finalizer_(finalizer) {}

HostFunction::~HostFunction() {
  if (finalizer_ != nullptr) finalizer_(user_data_);
}

void HostFunctionRegistry::add(std::unique_ptr<HostFunction> fn) {
  if (functions_.count(fn->name()) != 0)
    throw Error(HL_ERROR_ALREADY_REGISTERED,
                format("hl_register: host function '%s' is already registered", fn->name().c_str()));
  std::string key = fn->name();
  functions_.emplace(std::move(key), std::move(fn));
}

const HostFunction *HostFunctionRegistry::find(std::string_view name) const {
  auto it = functions_.find(name);
  return it == functions_.end() ? nullptr : it->second.get();
}

}  // namespace hl
