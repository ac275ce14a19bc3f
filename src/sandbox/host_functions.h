// Host functions registered on a sandbox: name, signature, and how to run
// one. What runs is up to the layer that registers it (src/capi wraps a C
// callback and its user data); the sandbox only checks signatures and
// carries values between the guest and invoke().
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/api_types.h"

namespace hl {

class HostFunction {
 public:
  HostFunction(std::string name, std::vector<ValKind> params, ValKind result)
      : name_(std::move(name)), params_(std::move(params)), result_(result) {}
  // Whatever the function owns (a C caller's user data) is released here.
  virtual ~HostFunction() = default;
  HostFunction(const HostFunction &) = delete;
  HostFunction &operator=(const HostFunction &) = delete;

  const std::string &name() const { return name_; }
  const std::vector<ValKind> &params() const { return params_; }
  ValKind result_kind() const { return result_; }

  // Runs the function on args, already checked against params(). result
  // starts void; whatever it holds afterwards, also after a throw, belongs
  // to the caller (release_value). Throws Error to fail the call: its
  // message reaches the guest as HL_ERROR_HOST_FUNCTION_FAILED.
  virtual void invoke(std::span<const Val> args, Val &result) const = 0;

 private:
  std::string name_;
  std::vector<ValKind> params_;
  ValKind result_;
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
