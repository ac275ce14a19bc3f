// hl_sandbox_guest_function_count and hl_sandbox_guest_function: the guest's
// function table (its READY message), read without entering the guest.
#include "capi/shim.h"

extern "C" {

HL_API hl_error_t *hl_sandbox_guest_function_count(const hl_sandbox_t *sandbox, size_t *count, uint32_t *table_flags) {
  return hl::guarded(__func__, [&] {
    hl::require(sandbox != nullptr, "hl_sandbox_guest_function_count: sandbox is NULL");
    hl::require(count != nullptr, "hl_sandbox_guest_function_count: count is NULL");
    const hl::Sandbox &sb = *sandbox->sandbox;
    const hl::GuestInterface &guest = sb.guest_interface();
    *count = sb.guest_function_count();
    if (table_flags != nullptr)
      *table_flags =
          (guest.functions_known ? HL_GUEST_TABLE_DECLARED : 0u) | (guest.has_fallback ? HL_GUEST_TABLE_FALLBACK : 0u);
  });
}

HL_API hl_error_t *hl_sandbox_guest_function(const hl_sandbox_t *sandbox, size_t index, const char **name,
                                             size_t *name_len, hl_val_kind_t *result_kind,
                                             const hl_val_kind_t **param_kinds, size_t *nparams) {
  return hl::guarded(__func__, [&] {
    hl::require(sandbox != nullptr, "hl_sandbox_guest_function: sandbox is NULL");
    const hl::Sandbox &sb = *sandbox->sandbox;
    const hl::GuestInterface::Function *fn = sb.guest_function(index);
    if (fn == nullptr)
      throw hl::Error(hl::ErrorCode::kOutOfRange,
                      hl::format("hl_sandbox_guest_function: index %zu is past the guest's %zu functions; "
                                 "hl_sandbox_guest_function_count says how many there are",
                                 index, sb.guest_function_count()));
    const auto &[fn_name, signature] = *fn;
    if (name != nullptr) *name = fn_name.c_str();
    if (name_len != nullptr) *name_len = fn_name.size();
    if (result_kind != nullptr) *result_kind = hl::to_c(signature.result);
    if (param_kinds != nullptr) *param_kinds = signature.params.empty() ? nullptr : hl::to_c(signature.params.data());
    if (nparams != nullptr) *nparams = signature.params.size();
  });
}

}  // extern "C"
