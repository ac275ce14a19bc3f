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

// Host functions by name; a shared one never changes (HostFunctionSet).
using HostFunctionTable = std::map<std::string, std::shared_ptr<const HostFunction>, std::less<>>;

// A sandbox's host functions: those of the set it was made with, shared
// with other sandboxes, and its own (hl_register). Names are unique across
// both, so a lookup finds at most one.
class HostFunctionRegistry {
 public:
  HostFunctionRegistry() = default;
  explicit HostFunctionRegistry(std::shared_ptr<const HostFunctionTable> shared) : shared_(std::move(shared)) {}

  // Throws Error(HL_ERROR_ALREADY_REGISTERED), also for a name the shared
  // set has; fn is destroyed (finalized) then.
  void add(std::unique_ptr<HostFunction> fn);
  const HostFunction *find(std::string_view name) const {
    if (shared_ != nullptr)
      if (auto it = shared_->find(name); it != shared_->end()) return it->second.get();
    if (own_.empty()) return nullptr;
    auto it = own_.find(name);
    return it == own_.end() ? nullptr : it->second.get();
  }
  // Every function, the shared ones first.
  template <typename F>
  void for_each(F &&visit) const {
    if (shared_ != nullptr)
      for (const auto &entry : *shared_) visit(*entry.second);
    for (const auto &entry : own_) visit(*entry.second);
  }

 private:
  std::shared_ptr<const HostFunctionTable> shared_;  // null: made without a set
  HostFunctionTable own_;
};

}  // namespace hl
