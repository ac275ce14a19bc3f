# cmake -DGUEST=file.elf -DOBJDUMP=objdump -P check_musl_guest.cmake
#
# Fails if the linked guest can make a system call or read the thread
# pointer: a `syscall`, `sysenter` or `int $0x80` instruction, or a memory
# access relative to %fs or %gs. A guest has neither (EFER.SCE is off, FS
# and GS bases are 0), so such code faults when reached (#UD, or a read of
# the null page). Checking the linked image after --gc-sections names
# exactly the functions the guest can reach; each must be replaced in
# guest/musl (or the guest must not call it). hl_add_musl_guest runs this
# after every link. On failure the guest file is deleted, so that the next
# build links it again.
if(NOT GUEST OR NOT OBJDUMP)
  message(FATAL_ERROR "usage: cmake -DGUEST=file.elf -DOBJDUMP=objdump -P check_musl_guest.cmake")
endif()
get_filename_component(name ${GUEST} NAME)
set(listing ${GUEST}.disassembly)
execute_process(COMMAND ${OBJDUMP} -d --no-show-raw-insn ${GUEST} OUTPUT_FILE ${listing} RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${OBJDUMP} -d ${GUEST} failed")
endif()
# Function headers ("0000000000001234 <name>:") and the offending lines.
file(STRINGS ${listing} lines REGEX "^[0-9a-f]+ <.*>:$|\t(syscall|sysenter|int +\\$0x80)|%[fg]s:")
file(REMOVE ${listing})
set(function "?")
set(offenders "")
foreach(line IN LISTS lines)
  if(line MATCHES "^[0-9a-f]+ <(.*)>:$")
    set(function ${CMAKE_MATCH_1})
  else()
    string(REGEX REPLACE "^ *([0-9a-f]+):\t *" "\\1: " instruction "${line}")
    string(APPEND offenders "\n  ${function}: ${instruction}")
  endif()
endforeach()
if(offenders)
  file(REMOVE ${GUEST})
  message(FATAL_ERROR "${name} can make system calls or read the thread pointer, which fault in a guest:"
    "${offenders}\nReplace these functions in guest/musl, or keep the guest from calling them "
    "(docs/guest-sdk.md, \"Guests on musl\").")
endif()
