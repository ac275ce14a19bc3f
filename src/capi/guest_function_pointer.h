// A guest function as a C function pointer (hl_guest_function_new): a libffi
// closure of type R (*)(hl_error_t **, P1, ..., Pn) whose handler turns the C
// arguments into values and calls the sandbox like hl_call. It reaches the
// sandbox through its anchor, so a call after hl_sandbox_delete is an error,
// not a use after free.
#pragma once

#include <ffi.h>

#include <memory>
#include <string>

#include "capi/sandbox_anchor.h"
#include "capi/typed_signature.h"
#include "hyperlight.h"

namespace hl {

class GuestFunctionPointer {
 public:
  // signature has one leading pointer (the error). Throws Error(OUT_OF_MEMORY)
  // when libffi cannot allocate the closure.
  GuestFunctionPointer(std::shared_ptr<SandboxAnchor> anchor, std::string name,
                       std::unique_ptr<TypedSignature> signature);
  GuestFunctionPointer(const GuestFunctionPointer &) = delete;
  GuestFunctionPointer &operator=(const GuestFunctionPointer &) = delete;

  hl_typed_fn_t pointer() const { return code_; }

 private:
  // libffi's entry: self is this object.
  static void handle(ffi_cif *cif, void *ret, void **args, void *self);
  void call(void *ret, void **args);

  struct ClosureFree {
    void operator()(ffi_closure *closure) const { ffi_closure_free(closure); }
  };

  std::shared_ptr<SandboxAnchor> anchor_;
  std::string name_;
  std::string entry_;  // how error messages name the call
  std::unique_ptr<TypedSignature> signature_;
  std::unique_ptr<ffi_closure, ClosureFree> closure_;
  hl_typed_fn_t code_ = nullptr;
};

}  // namespace hl
