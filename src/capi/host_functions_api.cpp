// hl_host_functions_*: host-function sets shared by many sandboxes.
#include "capi/c_host_function.h"
#include "capi/host_function_signature.h"
#include "capi/shim.h"
#include "capi/typed_host_function.h"

extern "C" {

HL_API hl_error_t *hl_host_functions_new(hl_host_functions_t **out) {
  return hl::guarded(__func__, [&] {
    hl::require(out != nullptr, "hl_host_functions_new: out is NULL");
    *out = nullptr;
    auto handle = std::make_unique<hl_host_functions>();
    handle->set = std::make_shared<hl::HostFunctionSet>();
    *out = handle.release();
  });
}

HL_API hl_error_t *hl_host_functions_add(hl_host_functions_t *functions, const char *name,
                                         const hl_val_kind_t *param_kinds, size_t nparams, hl_val_kind_t return_kind,
                                         hl_host_fn_t callback, void *user_data, hl_finalizer_t finalizer) {
  // Until the HostFunction owns user_data, a failure must finalize it here.
  bool handed_over = false;
  hl_error_t *err = hl::guarded(__func__, [&] {
    hl::require(functions != nullptr, "hl_host_functions_add: functions is NULL");
    hl::require(callback != nullptr, "hl_host_functions_add: callback is NULL");
    hl::HostFunctionSignature sig =
        hl::check_host_function_signature(__func__, name, param_kinds, nparams, return_kind);
    auto fn = std::make_unique<hl::CHostFunction>(std::move(sig.name), std::move(sig.params), sig.result, callback,
                                                  user_data, finalizer);
    handed_over = true;
    functions->set->add(std::move(fn));
  });
  if (err != nullptr && !handed_over && finalizer != nullptr) finalizer(user_data);
  return err;
}

HL_API hl_error_t *hl_host_functions_add_typed(hl_host_functions_t *functions, const char *name,
                                               const hl_val_kind_t *param_kinds, size_t nparams,
                                               hl_val_kind_t return_kind, hl_typed_fn_t fn, uint32_t flags,
                                               void *user_data, hl_finalizer_t finalizer) {
  // Until the TypedHostFunction owns user_data, a failure must finalize it here.
  bool handed_over = false;
  hl_error_t *err = hl::guarded(__func__, [&] {
    hl::require(functions != nullptr, "hl_host_functions_add_typed: functions is NULL");
    auto function = hl::make_typed_host_function(__func__, name, param_kinds, nparams, return_kind, fn, flags,
                                                 user_data, finalizer);
    handed_over = true;
    functions->set->add(std::move(function));
  });
  if (err != nullptr && !handed_over && finalizer != nullptr) finalizer(user_data);
  return err;
}

HL_API void hl_host_functions_delete(hl_host_functions_t *functions) { delete functions; }

}  // extern "C"
