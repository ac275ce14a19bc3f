// A host function registered through hl_register: a C callback, its user
// data (finalized exactly once, when the function is dropped) and the
// conversions between the sandbox's values and the C ABI's.
#pragma once

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "capi/api_conversions.h"
#include "capi/error_object.h"
#include "common/error.h"
#include "sandbox/host_functions.h"

namespace hl {

class CHostFunction final : public HostFunction {
 public:
  // Takes user_data: finalizer(user_data) runs when this object dies.
  CHostFunction(std::string name, std::vector<ValKind> params, ValKind result, hl_host_fn_t callback, void *user_data,
                hl_finalizer_t finalizer)
      : HostFunction(std::move(name), std::move(params), result),
        callback_(callback),
        user_data_(user_data),
        finalizer_(finalizer) {}
  ~CHostFunction() override {
    if (finalizer_ != nullptr) finalizer_(user_data_);
  }

  void invoke(std::span<const Val> args, Val &result) const override {
    std::array<hl_val_t, HL_WIRE_MAX_ARGS> c_args;
    for (size_t i = 0; i < args.size() && i < c_args.size(); i++) c_args[i] = to_c(args[i]);
    hl_val_t c_result = to_c(result);
    // Whatever the callback set is handed back, also if it throws (a C++
    // callback may), so the caller frees it.
    struct HandBack {
      const hl_val_t &from;
      Val &to;
      ~HandBack() { to = from_c(from); }
    } hand_back{c_result, result};
    hl_error_t *err = callback_(user_data_, c_args.data(), args.size(), &c_result);
    if (err == nullptr) return;
    std::string message = err->message;
    delete_error(err);
    throw Error(ErrorCode::kHostFunctionFailed, message);
  }

 private:
  hl_host_fn_t callback_;
  void *user_data_;
  hl_finalizer_t finalizer_;
};

}  // namespace hl
