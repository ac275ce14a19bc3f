# Sanitizers for HOST code only (docs/fuzzing.md).
#
#   -DHL_SANITIZE=address,undefined   any list -fsanitize= accepts (gcc or clang)
#
# The flags live on the INTERFACE target hl_sanitizers, which the host
# warning target hl_host_warnings links: so the library, its objects
# (the layers' object libraries), the tests, the bench and the fuzz targets get them, and
# guests (hl_add_guest: freestanding ELFs run inside the VM, built with
# hyperlight::guest's flags only) never do. The top-level CMakeLists.txt also links it
# into the C example, which does not use hl_host_warnings.
#
# With HL_BUILD_FUZZ=ON (clang only) host code is also compiled with
# -fsanitize=fuzzer-no-link, so libFuzzer sees coverage of the library code;
# the fuzz executables themselves add -fsanitize=fuzzer (fuzz/CMakeLists.txt).
set(HL_SANITIZE "" CACHE STRING "Comma-separated -fsanitize= list for host targets, e.g. address,undefined (empty: off)")

add_library(hl_sanitizers INTERFACE)
if(HL_SANITIZE)
  message(STATUS "hyperlight: host targets built with -fsanitize=${HL_SANITIZE}")
  target_compile_options(hl_sanitizers INTERFACE -fsanitize=${HL_SANITIZE} -fno-omit-frame-pointer
                                                 -fno-sanitize-recover=all)
  target_link_options(hl_sanitizers INTERFACE -fsanitize=${HL_SANITIZE})
endif()

if(HL_BUILD_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID STREQUAL "Clang" OR NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "HL_BUILD_FUZZ needs clang (libFuzzer): "
                        "-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++")
  endif()
  if(NOT HL_SANITIZE)
    message(WARNING "HL_BUILD_FUZZ without HL_SANITIZE: fuzzing finds only crashes, not memory errors; "
                    "use -DHL_SANITIZE=address,undefined")
  endif()
  target_compile_options(hl_sanitizers INTERFACE -fsanitize=fuzzer-no-link)
endif()

target_link_libraries(hl_host_warnings INTERFACE hl_sanitizers)
