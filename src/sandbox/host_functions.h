// Host functions registered on a sandbox: name, signature, callback, and
// the user data whose finalizer runs exactly once.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hyperlight.h"

namespace hl {

class HostFunction {
 public:
  // Takes user_data: finalizer(user_data) runs when this object dies.
  HostFunction(std::string name, std::vector<hl_val_kind_t> params, hl_val_kind_t result, hl_host_fn_t callback,
               void *user_data, hl_finalizer_t finalizer);
  ~HostFunction();
  HostFunction(const HostFunction &) = delete;
  HostFunction &operator=(const HostFunction &) = delete;

  const std::string &name() const { return name_; }
  const std::vector<hl_val_kind_t> &params() const { return params_; }
  hl_val_kind_t result_kind() const { return result_; }
  hl_error_t *invoke(const hl_val_t *args, size_t nargs, hl_val_t *result) const {
    return callback_(user_data_, args, nargs, result);
  }

 private:
  std::string name_;
  std::vector<hl_val_kind_t> params_;
  hl_val_kind_t result_;
  hl_host_fn_t callback_;
  void *user_data_;
  hl_finalizer_t finalizer_;
};

class HostFunctionRegistry {
 public:
  // Throws Error(HL_ERROR_ALREADY_REGISTERED); fn is destroyed (finalized) then.
  void add(std::unique_ptr<HostFunction> fn);
  const HostFunction *find(std::string_view name) const;
  const std::map<std::string, std::unique_ptr<HostFunction>, std::less<>> &all() const { return functions_; }

 private:
  std::map<std::string, std::unique_ptr<HostFunction>, std::less<>> functions_;
};

}  // namespace hl
