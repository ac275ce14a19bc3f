// The ELF header of a minimal x86-64 static-PIE (ET_DYN, program headers
// right after the header): the ELF unit tests and the fuzz seed maker
// build synthetic guests on it.
#pragma once

#include <elf.h>

#include <cstdint>
#include <cstring>

namespace hl::testing {

inline Elf64_Ehdr static_pie_header(uint16_t phnum, uint64_t entry) {
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_DYN;
  eh.e_machine = EM_X86_64;
  eh.e_version = EV_CURRENT;
  eh.e_entry = entry;
  eh.e_phoff = sizeof(Elf64_Ehdr);
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = phnum;
  return eh;
}

}  // namespace hl::testing
