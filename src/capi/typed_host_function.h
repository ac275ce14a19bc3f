// A host function registered as a plain C function pointer
// (hl_register_typed): the guest's arguments become C arguments and the C
// result the guest's result, through libffi with a signature prepared once
// (typed_signature.h). Its user data is finalized exactly once, when the
// function is dropped.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "capi/typed_signature.h"
#include "hyperlight.h"
#include "sandbox/host_functions.h"

namespace hl {

class TypedHostFunction final : public HostFunction {
 public:
  // Use make_typed_host_function, which validates first. Takes user_data.
  TypedHostFunction(std::string name, std::unique_ptr<TypedSignature> signature, hl_typed_fn_t fn, uint32_t flags,
                    void *user_data, hl_finalizer_t finalizer);
  ~TypedHostFunction() override;

  void invoke(std::span<const Val> args, Val &result) const override;

 private:
  std::unique_ptr<TypedSignature> signature_;
  hl_typed_fn_t fn_;
  uint32_t flags_;
  void *user_data_;
  hl_finalizer_t finalizer_;
};

// Checks everything hl_register_typed promises to check (name, fn, flags,
// kinds, count) and prepares the libffi call; entry names the C entry point
// in messages. Throws Error without taking user_data (the caller finalizes
// it then); the returned function owns it. For every place a typed function
// is added: hl_register_typed, host-function sets.
std::unique_ptr<TypedHostFunction> make_typed_host_function(const char *entry, const char *name,
                                                            const hl_val_kind_t *param_kinds, size_t nparams,
                                                            hl_val_kind_t result_kind, hl_typed_fn_t fn, uint32_t flags,
                                                            void *user_data, hl_finalizer_t finalizer);

}  // namespace hl
