// A guest's auxiliary vector (AT_ENTRY, AT_PHDR, ...) in the kernel's
// layout: what gdb reads with qXfer:auxv:read and a core file's NT_AUXV,
// one encoding for both.
#pragma once

#include <elf.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace hl::debug {

using Auxv = std::vector<std::pair<uint64_t, uint64_t>>;  // (AT_*, value), without AT_NULL

// Elf64_auxv_t entries, AT_NULL appended, as bytes.
inline std::string encode_auxv(const Auxv &auxv) {
  std::vector<Elf64_auxv_t> entries;
  entries.reserve(auxv.size() + 1);
  for (const auto &[type, value] : auxv) {
    Elf64_auxv_t entry{};
    entry.a_type = type;
    entry.a_un.a_val = value;
    entries.push_back(entry);
  }
  entries.push_back(Elf64_auxv_t{AT_NULL, {0}});
  return std::string(reinterpret_cast<const char *>(entries.data()), entries.size() * sizeof(Elf64_auxv_t));
}

}  // namespace hl::debug
