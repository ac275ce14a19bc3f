# Fails unless the shared library's file name and SONAME carry the version
# in the public header (HL_VERSION_STRING, rendered from api/hyperlight.yaml
# by tools/apigen; hl_version_string() returns it): the build reads the same
# spec with its own parser (cmake/ApiVersion.cmake), and this keeps the two
# from drifting. Usage: cmake -DLIBRARY=... -DHEADER=... -P this file
file(STRINGS ${HEADER} line REGEX "^#define HL_VERSION_STRING ")
if(NOT line MATCHES "\"([0-9]+)\\.([0-9]+)\\.([0-9]+)\"")
  message(FATAL_ERROR "${HEADER}: no #define HL_VERSION_STRING \"M.m.p\"")
endif()
set(version ${CMAKE_MATCH_1}.${CMAKE_MATCH_2}.${CMAKE_MATCH_3})
set(major ${CMAKE_MATCH_1})

get_filename_component(name ${LIBRARY} NAME)
if(NOT name STREQUAL "libhyperlight.so.${version}")
  message(SEND_ERROR "the library is ${name}, but the header says version ${version}: "
                     "expected libhyperlight.so.${version}")
endif()

execute_process(COMMAND readelf -d ${LIBRARY} OUTPUT_VARIABLE dynamic RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "readelf -d failed on ${LIBRARY}")
endif()
if(NOT dynamic MATCHES "\\(SONAME\\)[^\n]*\\[([^]\n]*)\\]")
  message(FATAL_ERROR "${LIBRARY} has no SONAME")
endif()
set(soname ${CMAKE_MATCH_1})
if(NOT soname STREQUAL "libhyperlight.so.${major}")
  message(SEND_ERROR "SONAME is ${soname}, expected libhyperlight.so.${major} (version ${version})")
endif()
message(STATUS "${name}, SONAME ${soname}, header ${version}")
