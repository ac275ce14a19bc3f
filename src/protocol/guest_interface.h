// What a guest declared in its READY message: its functions' signatures,
// whether it has a fallback, and where calls enter it. Snapshots carry it,
// so a sandbox made from one needs no initialisation.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/api_types.h"

namespace hl {

struct FunctionSignature {
  std::vector<ValKind> params;
  ValKind result = ValKind::kVoid;
  bool operator==(const FunctionSignature &) const = default;
};

struct GuestInterface {
  using Functions = std::map<std::string, FunctionSignature, std::less<>>;
  using Function = Functions::value_type;  // name and signature
  Functions functions;
  bool functions_known = false;  // guests built without a table call unchecked
  bool has_fallback = false;
  uint64_t dispatch_address = 0;
};

}  // namespace hl
