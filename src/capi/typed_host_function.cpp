#include "capi/typed_host_function.h"

#include <cstdlib>
#include <cstring>

#include "capi/error_object.h"
#include "common/error.h"

namespace hl {
namespace {

constexpr uint32_t kKnownFlags = HL_TYPED_USER_DATA | HL_TYPED_ERROR | HL_TYPED_FREE_RESULT;

// One C argument's value when it is not read in place from a Val.
union ArgSlot {
  const void *pointer;
  uint64_t size;
  hl_error_t **error;
};

}  // namespace

TypedHostFunction::TypedHostFunction(std::string name, std::unique_ptr<TypedSignature> signature, hl_typed_fn_t fn,
                                     uint32_t flags, void *user_data, hl_finalizer_t finalizer)
    : HostFunction(std::move(name), signature->params(), signature->result()),
      signature_(std::move(signature)),
      fn_(fn),
      flags_(flags),
      user_data_(user_data),
      finalizer_(finalizer) {}

TypedHostFunction::~TypedHostFunction() {
  if (finalizer_ != nullptr) finalizer_(user_data_);
}

void TypedHostFunction::invoke(std::span<const Val> args, Val &result) const {
  std::array<ArgSlot, kMaxCParams> slots;
  std::array<void *, kMaxCParams> c_args;
  hl_error_t *error = nullptr;
  size_t n = 0;
  if ((flags_ & HL_TYPED_USER_DATA) != 0) {
    slots[n].pointer = user_data_;
    c_args[n] = &slots[n];
    n++;
  }
  if ((flags_ & HL_TYPED_ERROR) != 0) {
    slots[n].error = &error;
    c_args[n] = &slots[n];
    n++;
  }
  // Scalars are read in place: libffi only reads through these pointers.
  for (const Val &arg : args) {
    void *payload = const_cast<void *>(static_cast<const void *>(&arg.of));
    switch (arg.kind) {
      case ValKind::kString:
        // Guest strings arrive NUL-terminated (the wire checks it).
        slots[n].pointer = arg.of.string.ptr != nullptr ? arg.of.string.ptr : "";
        c_args[n] = &slots[n];
        n++;
        break;
      case ValKind::kBytes:
        slots[n].pointer = arg.of.bytes.ptr;
        c_args[n] = &slots[n];
        n++;
        slots[n].size = arg.of.bytes.len;
        c_args[n] = &slots[n];
        n++;
        break;
      default: c_args[n++] = payload; break;
    }
  }

  TypedReturn ret{};
  ffi_call(signature_->cif(), fn_, &ret, c_args.data());

  const bool owned = (flags_ & HL_TYPED_FREE_RESULT) != 0;
  if (error != nullptr) {
    if (owned && (result_kind() == ValKind::kString || result_kind() == ValKind::kBytes))
      std::free(const_cast<void *>(result_kind() == ValKind::kString ? ret.pointer : ret.bytes.ptr));
    std::string message = error->message;
    delete_error(error);
    throw Error(ErrorCode::kHostFunctionFailed, message);
  }
  result = Val{};
  result.kind = result_kind();
  switch (result_kind()) {
    case ValKind::kVoid: break;
    case ValKind::kI32: result.of.i32 = static_cast<int32_t>(ret.signed_int); break;
    case ValKind::kU32: result.of.u32 = static_cast<uint32_t>(ret.unsigned_int); break;
    case ValKind::kI64: result.of.i64 = static_cast<int64_t>(ret.signed_int); break;
    case ValKind::kU64: result.of.u64 = static_cast<uint64_t>(ret.unsigned_int); break;
    case ValKind::kF32: result.of.f32 = ret.f32; break;
    case ValKind::kF64: result.of.f64 = ret.f64; break;
    case ValKind::kBool: result.of.boolean = static_cast<uint8_t>(ret.unsigned_int) != 0 ? 1 : 0; break;
    case ValKind::kString: {
      const char *text = static_cast<const char *>(ret.pointer);
      if (text == nullptr) {
        result = Val{};
        throw Error(ErrorCode::kHostFunctionFailed,
                    "returned a NULL string; return \"\" for empty text, or fail through hl_error_t ** "
                    "(HL_TYPED_ERROR)");
      }
      result.of.string.ptr = text;
      result.of.string.len = std::strlen(text);
      if (owned) result.flags = ValFlag::kOwned;  // the sandbox frees it with free() once copied
      break;
    }
    case ValKind::kBytes: {
      hl_bytes_t bytes = ret.bytes;
      if (bytes.ptr == nullptr && bytes.len != 0) {
        result = Val{};
        throw Error(ErrorCode::kHostFunctionFailed,
                    format("returned bytes with a NULL pointer and length %zu", static_cast<size_t>(bytes.len)));
      }
      result.of.bytes.ptr = bytes.ptr;
      result.of.bytes.len = bytes.len;
      if (owned && bytes.ptr != nullptr) result.flags = ValFlag::kOwned;
      break;
    }
  }
}

std::unique_ptr<TypedHostFunction> make_typed_host_function(const char *entry, const char *name,
                                                            const hl_val_kind_t *param_kinds, size_t nparams,
                                                            hl_val_kind_t result_kind, hl_typed_fn_t fn, uint32_t flags,
                                                            void *user_data, hl_finalizer_t finalizer) {
  if (name == nullptr || name[0] == '\0' || std::strlen(name) > HL_WIRE_MAX_NAME)
    throw Error(ErrorCode::kInvalidArgument, format("%s: name must be 1 to 255 bytes", entry));
  if (fn == nullptr) throw Error(ErrorCode::kInvalidArgument, format("%s('%s'): fn is NULL", entry, name));
  if ((flags & ~kKnownFlags) != 0)
    throw Error(ErrorCode::kInvalidArgument,
                format("%s('%s'): unknown flags 0x%x; use HL_TYPED_USER_DATA, HL_TYPED_ERROR, HL_TYPED_FREE_RESULT",
                       entry, name, flags & ~kKnownFlags));
  size_t leading = ((flags & HL_TYPED_USER_DATA) != 0 ? 1 : 0) + ((flags & HL_TYPED_ERROR) != 0 ? 1 : 0);
  auto signature = std::make_unique<TypedSignature>(entry, name, param_kinds, nparams, result_kind, leading);
  return std::make_unique<TypedHostFunction>(name, std::move(signature), fn, flags, user_data, finalizer);
}

}  // namespace hl
