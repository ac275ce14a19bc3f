# hl_add_guest(NAME SOURCES...)
#
# Builds a hyperlight guest: a freestanding, static-PIE x86-64 ELF named
# NAME.elf, linked with the guest runtime (guest/). Guest code runs in ring
# 3 with SSE available; no libc, no startup files, no red zone (exceptions
# are taken on a separate stack, but the ABI keeps it off for safety).
# -fstack-clash-protection probes every page of a large stack frame, so a
# huge local array or alloca hits the guard page below the stack (reported
# as HL_ERROR_STACK_OVERFLOW) instead of jumping over it into the heap.
# -z separate-code puts code on pages of its own: the loader refuses a page
# shared by code and writable data (W^X), and some linkers share by default.
add_library(hl_guest_flags INTERFACE)
target_compile_options(hl_guest_flags INTERFACE
  -ffreestanding -fno-stack-protector -fstack-clash-protection -mno-red-zone -fPIE -fvisibility=hidden
  -fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns -fno-builtin
  -Wall -Wextra -Werror)
target_link_options(hl_guest_flags INTERFACE
  -nostdlib -static-pie -Wl,-e,hl_guest_entry -Wl,--build-id=none -Wl,-z,noexecstack -Wl,-z,separate-code)

function(hl_add_guest NAME)
  add_executable(${NAME} ${ARGN})
  target_link_libraries(${NAME} PRIVATE hyperlight_guest)
  set_target_properties(${NAME} PROPERTIES SUFFIX ".elf")
endfunction()
