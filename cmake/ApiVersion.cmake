# Reads the library's version from the C ABI spec, the one place it is
# written (api/hyperlight.yaml: `version: {major: M, minor: m, patch: p}`),
# so project(), the shared library's file name and SONAME, the CMake
# package and the pkg-config files agree with hl_version_string().
# Sets HL_API_VERSION ("M.m.p"); included before project().
set(hl_spec ${CMAKE_CURRENT_LIST_DIR}/../api/hyperlight.yaml)
file(STRINGS ${hl_spec} hl_version_line REGEX "^version:")
if(NOT hl_version_line MATCHES "major: *([0-9]+), *minor: *([0-9]+), *patch: *([0-9]+)")
  message(FATAL_ERROR "${hl_spec}: no line 'version: {major: M, minor: m, patch: p}'; the build takes the "
                      "library version from it")
endif()
set(HL_API_VERSION ${CMAKE_MATCH_1}.${CMAKE_MATCH_2}.${CMAKE_MATCH_3})
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${hl_spec})
unset(hl_spec)
unset(hl_version_line)
