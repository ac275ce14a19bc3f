# hl_add_guest(NAME SOURCES...)
#
# Builds a hyperlight guest NAME.elf from C SOURCES: a freestanding,
# static-PIE x86-64 ELF linked with the guest runtime. The target
# hyperlight::guest carries the headers, the compile and link flags, the
# runtime archive and the link-time checks (docs/guest-sdk.md; hyperlight's
# guest/CMakeLists.txt explains the flags). The same function serves the
# repository's test guests and, installed next to hyperlightConfig.cmake,
# any project after find_package(hyperlight CONFIG).
function(hl_add_guest NAME)
  if(NOT ARGN)
    message(FATAL_ERROR "hl_add_guest(${NAME}): no sources; write hl_add_guest(${NAME} file.c ...)")
  endif()
  get_property(languages GLOBAL PROPERTY ENABLED_LANGUAGES)
  if(NOT "C" IN_LIST languages)
    message(FATAL_ERROR "hl_add_guest(${NAME}): guests are C; enable it with project(... LANGUAGES C ...) "
                        "or enable_language(C)")
  endif()
  add_executable(${NAME} ${ARGN})
  target_link_libraries(${NAME} PRIVATE hyperlight::guest)
  set_target_properties(${NAME} PROPERTIES SUFFIX ".elf")
endfunction()
