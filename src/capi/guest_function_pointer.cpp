#include "capi/guest_function_pointer.h"

#include <array>
#include <cstring>

#include "capi/shim.h"
#include "protocol/values.h"

namespace hl {

GuestFunctionPointer::GuestFunctionPointer(std::shared_ptr<SandboxAnchor> anchor, std::string name,
                                           std::unique_ptr<TypedSignature> signature)
    : anchor_(std::move(anchor)),
      name_(std::move(name)),
      entry_("guest function pointer '" + name_ + "'"),
      signature_(std::move(signature)) {
  void *code = nullptr;
  closure_.reset(static_cast<ffi_closure *>(ffi_closure_alloc(sizeof(ffi_closure), &code)));
  if (closure_ == nullptr)
    throw Error(ErrorCode::kOutOfMemory, "hl_guest_function_new: libffi could not allocate a closure");
  ffi_status status =
      ffi_prep_closure_loc(closure_.get(), signature_->cif(), &GuestFunctionPointer::handle, this, code);
  if (status != FFI_OK)
    throw Error(ErrorCode::kInternal,
                format("hl_guest_function_new: ffi_prep_closure_loc returned %d", static_cast<int>(status)));
  code_ = reinterpret_cast<hl_typed_fn_t>(code);
}

void GuestFunctionPointer::handle(ffi_cif *, void *ret, void **args, void *self) {
  static_cast<GuestFunctionPointer *>(self)->call(ret, args);
}

void GuestFunctionPointer::call(void *ret, void **args) {
  hl_error_t **error_out = *static_cast<hl_error_t ***>(args[0]);
  if (error_out != nullptr) *error_out = nullptr;
  const ValKind result_kind = signature_->result();
  Val out{};
  hl_error_t *err = guarded(entry_.c_str(), [&] {
    std::array<Val, HL_WIRE_MAX_ARGS> vals;  // only the first params.size() are set and read
    const std::vector<ValKind> &params = signature_->params();
    size_t c = 1;  // past the error pointer
    for (size_t i = 0; i < params.size(); i++) {
      Val &v = vals[i];
      v = Val{};
      v.kind = params[i];
      switch (params[i]) {
        case ValKind::kI32: v.of.i32 = *static_cast<const int32_t *>(args[c++]); break;
        case ValKind::kU32: v.of.u32 = *static_cast<const uint32_t *>(args[c++]); break;
        case ValKind::kI64: v.of.i64 = *static_cast<const int64_t *>(args[c++]); break;
        case ValKind::kU64: v.of.u64 = *static_cast<const uint64_t *>(args[c++]); break;
        case ValKind::kF32: v.of.f32 = *static_cast<const float *>(args[c++]); break;
        case ValKind::kF64: v.of.f64 = *static_cast<const double *>(args[c++]); break;
        case ValKind::kBool: v.of.boolean = *static_cast<const uint8_t *>(args[c++]) != 0 ? 1 : 0; break;
        case ValKind::kString: {
          const char *text = *static_cast<const char *const *>(args[c++]);
          if (text == nullptr)
            throw Error(ErrorCode::kInvalidArgument, format("parameter %zu is a NULL string; pass \"\" for empty", i));
          v.of.string.ptr = text;
          v.of.string.len = std::strlen(text);
          break;
        }
        case ValKind::kBytes: {
          const uint8_t *ptr = *static_cast<const uint8_t *const *>(args[c++]);
          size_t len = *static_cast<const size_t *>(args[c++]);
          if (ptr == nullptr && len != 0)
            throw Error(ErrorCode::kInvalidArgument,
                        format("parameter %zu is bytes with a NULL pointer and length %zu", i, len));
          v.of.bytes.ptr = ptr;
          v.of.bytes.len = len;
          break;
        }
        case ValKind::kVoid: throw Error(ErrorCode::kInternal, "void parameter");
      }
    }
    anchor_->with_sandbox([&](hl_sandbox *sandbox) {
      if (sandbox == nullptr)
        throw Error(ErrorCode::kInvalidArgument,
                    "its sandbox was deleted; make a new guest function from a live sandbox");
      sandbox->sandbox->call(name_, vals.data(), params.size(), &out);
    });
    if (out.kind != result_kind) {
      const char *got = kind_name(out.kind);
      release_value(&out);
      throw Error(ErrorCode::kParameterTypeMismatch,
                  format("the guest returned %s, the pointer was made for %s", got, kind_name(result_kind)));
    }
  });

  if (err != nullptr) {
    if (error_out != nullptr)
      *error_out = err;
    else
      delete_error(err);
    out = Val{};
    out.kind = result_kind;  // zero of the result's type
  }
  // Closures widen small integer results to a full ffi_arg.
  switch (result_kind) {
    case ValKind::kVoid: break;
    case ValKind::kI32: *static_cast<ffi_sarg *>(ret) = out.of.i32; break;
    case ValKind::kU32: *static_cast<ffi_arg *>(ret) = out.of.u32; break;
    case ValKind::kI64: *static_cast<int64_t *>(ret) = out.of.i64; break;
    case ValKind::kU64: *static_cast<uint64_t *>(ret) = out.of.u64; break;
    case ValKind::kF32: *static_cast<float *>(ret) = out.of.f32; break;
    case ValKind::kF64: *static_cast<double *>(ret) = out.of.f64; break;
    case ValKind::kBool: *static_cast<ffi_arg *>(ret) = out.of.boolean; break;
    // hl_call's string and bytes results are malloc()ed copies (NUL-terminated),
    // handed to the caller for hl_free().
    case ValKind::kString: *static_cast<const char **>(ret) = out.of.string.ptr; break;
    case ValKind::kBytes: {
      hl_bytes_t bytes{out.of.bytes.ptr, out.of.bytes.len};
      std::memcpy(ret, &bytes, sizeof bytes);
      break;
    }
  }
}

}  // namespace hl
