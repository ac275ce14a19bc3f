// A copy of a sandbox's guest function table (hl_sandbox_guest_function_count,
// hl_sandbox_guest_function): what `run` takes argument kinds from and
// `inspect` prints.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hyperlight.h"

namespace hlcli {

struct GuestFunctionInfo {
  std::string name;
  std::vector<hl_val_kind_t> params;
  hl_val_kind_t result = HL_VAL_VOID;
};

struct GuestTable {
  uint32_t flags = 0;                        // HL_GUEST_TABLE_*
  std::vector<GuestFunctionInfo> functions;  // in name order

  bool declared() const { return (flags & HL_GUEST_TABLE_DECLARED) != 0; }
  bool has_fallback() const { return (flags & HL_GUEST_TABLE_FALLBACK) != 0; }
  const GuestFunctionInfo *find(std::string_view name) const;
};

// Throws LibraryError.
GuestTable read_guest_table(const hl_sandbox_t *sandbox);

}  // namespace hlcli
