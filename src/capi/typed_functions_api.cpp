// hl_register_typed, hl_guest_function_* and hl_free: host and guest
// functions as plain C functions, called through libffi
// (docs/typed-functions.md).
#include <cstdlib>
#include <cstring>
#include <memory>

#include "capi/guest_function_pointer.h"
#include "capi/shim.h"
#include "capi/typed_host_function.h"
#include "protocol/values.h"

struct hl_guest_function {
  std::unique_ptr<hl::GuestFunctionPointer> pointer;
};

namespace {

// When the guest declared a table, a pointer that cannot match it would
// only ever fail: say so now.
void check_against_guest_table(const hl::Sandbox &sandbox, const char *name, const hl::TypedSignature &signature) {
  const hl::GuestInterface &guest = sandbox.guest_interface();
  if (!guest.functions_known) return;
  auto it = guest.functions.find(std::string_view(name));
  if (it == guest.functions.end()) {
    if (guest.has_fallback) return;
    throw hl::Error(hl::ErrorCode::kGuestFunctionNotFound,
                    hl::format("hl_guest_function_new('%s'): the guest has no such function "
                               "(hl_sandbox_guest_function lists the ones it has)",
                               name));
  }
  const hl::FunctionSignature &declared = it->second;
  if (declared.params.size() != signature.params().size())
    throw hl::Error(hl::ErrorCode::kParameterCountMismatch,
                    hl::format("hl_guest_function_new('%s'): the guest's function takes %zu parameters, not %zu", name,
                               declared.params.size(), signature.params().size()));
  for (size_t i = 0; i < declared.params.size(); i++)
    if (declared.params[i] != signature.params()[i])
      throw hl::Error(hl::ErrorCode::kParameterTypeMismatch,
                      hl::format("hl_guest_function_new('%s'): parameter %zu is %s in the guest, not %s", name, i,
                                 hl::kind_name(declared.params[i]), hl::kind_name(signature.params()[i])));
  if (declared.result != signature.result())
    throw hl::Error(hl::ErrorCode::kParameterTypeMismatch,
                    hl::format("hl_guest_function_new('%s'): the guest's function returns %s, not %s", name,
                               hl::kind_name(declared.result), hl::kind_name(signature.result())));
}

}  // namespace

extern "C" {

HL_API hl_error_t *hl_register_typed(hl_sandbox_t *sandbox, const char *name, const hl_val_kind_t *param_kinds,
                                     size_t nparams, hl_val_kind_t return_kind, hl_typed_fn_t fn, uint32_t flags,
                                     void *user_data, hl_finalizer_t finalizer) {
  // Until the host function owns user_data, a failure must finalize it here.
  bool handed_over = false;
  hl_error_t *err = hl::guarded(__func__, [&] {
    hl::require(sandbox != nullptr, "hl_register_typed: sandbox is NULL");
    auto function = hl::make_typed_host_function(__func__, name, param_kinds, nparams, return_kind, fn, flags,
                                                 user_data, finalizer);
    handed_over = true;
    sandbox->sandbox->register_host_function(std::move(function));
  });
  if (err != nullptr && !handed_over && finalizer != nullptr) finalizer(user_data);
  return err;
}

HL_API hl_error_t *hl_guest_function_new(hl_sandbox_t *sandbox, const char *name, hl_val_kind_t result_kind,
                                         const hl_val_kind_t *param_kinds, size_t nparams, hl_guest_function_t **out) {
  return hl::guarded(__func__, [&] {
    hl::require(out != nullptr, "hl_guest_function_new: out is NULL");
    *out = nullptr;
    hl::require(sandbox != nullptr, "hl_guest_function_new: sandbox is NULL");
    hl::require(name != nullptr && name[0] != '\0' && std::strlen(name) <= HL_WIRE_MAX_NAME,
                "hl_guest_function_new: name must be 1 to 255 bytes");
    auto signature = std::make_unique<hl::TypedSignature>(__func__, name, param_kinds, nparams, result_kind, 1);
    check_against_guest_table(*sandbox->sandbox, name, *signature);
    auto function = std::make_unique<hl_guest_function>();
    function->pointer = std::make_unique<hl::GuestFunctionPointer>(sandbox->anchor, name, std::move(signature));
    *out = function.release();
  });
}

HL_API hl_typed_fn_t hl_guest_function_pointer(const hl_guest_function_t *fn) {
  return fn != nullptr ? fn->pointer->pointer() : nullptr;
}

HL_API void hl_guest_function_delete(hl_guest_function_t *fn) { delete fn; }

HL_API void hl_free(const void *ptr) { std::free(const_cast<void *>(ptr)); }

}  // extern "C"
