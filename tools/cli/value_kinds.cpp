#include "value_kinds.h"

#include <array>
#include <utility>

namespace hlcli {
namespace {

constexpr std::array<std::pair<hl_val_kind_t, const char *>, 10> kKinds{{
    {HL_VAL_VOID, "void"},
    {HL_VAL_I32, "i32"},
    {HL_VAL_U32, "u32"},
    {HL_VAL_I64, "i64"},
    {HL_VAL_U64, "u64"},
    {HL_VAL_F32, "f32"},
    {HL_VAL_F64, "f64"},
    {HL_VAL_BOOL, "bool"},
    {HL_VAL_STRING, "string"},
    {HL_VAL_BYTES, "bytes"},
}};

}  // namespace

const char *kind_name(hl_val_kind_t kind) {
  for (const auto &[k, name] : kKinds)
    if (k == kind) return name;
  return "unknown";
}

std::optional<hl_val_kind_t> argument_kind_named(std::string_view name) {
  for (const auto &[k, kind_text] : kKinds)
    if (k != HL_VAL_VOID && name == kind_text) return k;
  return std::nullopt;
}

}  // namespace hlcli
