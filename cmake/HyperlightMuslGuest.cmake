# hl_add_musl_guest(NAME SOURCES...)
#
# Builds a hyperlight guest NAME.elf from C SOURCES written against the
# standard C library, as third-party code is (Lua, a JavaScript engine):
# compiled against musl's headers (never the SDK's own libc headers), linked
# with the guest runtime first, then musl's libc.a, then libgcc, into the
# same kind of static-PIE ELF as hl_add_guest makes (W^X, separate code,
# the link-time checks). The guest API is hyperlight_guest.h as usual.
# guest/musl says what comes from musl and what from the runtime.
#
# After the link, a check fails the build if the guest contains a system
# call instruction or an %fs/%gs-relative access (check_musl_guest.cmake):
# a guest has neither system calls nor a thread pointer, so such code would
# fault when reached. --gc-sections has dropped what the guest never calls.
#
# Library code a guest needs (an engine's .c files) goes in SOURCES or in an
# OBJECT library linked to NAME: static libraries would come after libc.a on
# the link line. Only in this build tree, with HL_BUILD_SCRIPT_GUESTS (musl
# is built from its Debian source package); not installed.
function(hl_add_musl_guest NAME)
  if(NOT ARGN)
    message(FATAL_ERROR "hl_add_musl_guest(${NAME}): no sources; write hl_add_musl_guest(${NAME} file.c ...)")
  endif()
  if(NOT TARGET hyperlight_guest_musl)
    message(FATAL_ERROR "hl_add_musl_guest(${NAME}): guests on musl need HL_BUILD_SCRIPT_GUESTS=ON (guest/musl)")
  endif()
  add_executable(${NAME} ${ARGN})
  target_link_libraries(${NAME} PRIVATE hyperlight_guest_musl)
  add_dependencies(${NAME} musl_libc) # its headers, before the guest's sources compile
  set_target_properties(${NAME} PROPERTIES SUFFIX ".elf")
  add_custom_command(TARGET ${NAME} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -DGUEST=$<TARGET_FILE:${NAME}> -DOBJDUMP=${CMAKE_OBJDUMP}
      -P ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/check_musl_guest.cmake
    VERBATIM)
endfunction()
