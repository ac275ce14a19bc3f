#include "guest_table.h"

#include "library.h"

namespace hlcli {

const GuestFunctionInfo *GuestTable::find(std::string_view name) const {
  for (const GuestFunctionInfo &f : functions)
    if (f.name == name) return &f;
  return nullptr;
}

GuestTable read_guest_table(const hl_sandbox_t *sandbox) {
  GuestTable table;
  size_t count = 0;
  check(hl_sandbox_guest_function_count(sandbox, &count, &table.flags));
  table.functions.reserve(count);
  for (size_t i = 0; i < count; i++) {
    const char *name = nullptr;
    size_t name_len = 0, nparams = 0;
    hl_val_kind_t result = HL_VAL_VOID;
    const hl_val_kind_t *params = nullptr;
    check(hl_sandbox_guest_function(sandbox, i, &name, &name_len, &result, &params, &nparams));
    table.functions.push_back(
        {std::string(name, name_len), std::vector<hl_val_kind_t>(params, params + nparams), result});
  }
  return table;
}

}  // namespace hlcli
