# hl_fetch_debian_source(PACKAGE OUT_VAR)
#
# Makes the Debian source package PACKAGE available at configure time and
# sets OUT_VAR to its unpacked tree (Debian patches applied):
# ${PROJECT_BINARY_DIR}/third_party/PACKAGE/source. The first configure
# downloads it with apt-get source through a private source list derived
# from the machine's apt sources and checks it against the .dsc's SHA-256
# sums (scripts/fetch-guest-sources.sh says how); later configures find the
# stamp and stay offline. HL_GUEST_SOURCES_FROM names a directory holding
# PACKAGE_*.dsc and its files, for machines without deb-src access. No
# third-party source is ever committed: the build tree is its only home.
set(HL_GUEST_SOURCES_FROM "" CACHE PATH
  "Directory with Debian source packages (.dsc and files) to use instead of apt-get source")

function(hl_fetch_debian_source package out_var)
  set(dir ${PROJECT_BINARY_DIR}/third_party)
  set(command ${PROJECT_SOURCE_DIR}/scripts/fetch-guest-sources.sh --dir ${dir})
  if(HL_GUEST_SOURCES_FROM)
    list(APPEND command --from ${HL_GUEST_SOURCES_FROM})
  endif()
  if(NOT EXISTS ${dir}/${package}/stamp)
    message(STATUS "Fetching the Debian source package ${package} into ${dir}/${package}")
  endif()
  execute_process(COMMAND ${command} ${package} RESULT_VARIABLE status OUTPUT_VARIABLE source
    OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT status EQUAL 0 OR NOT IS_DIRECTORY "${source}")
    message(FATAL_ERROR "hl_fetch_debian_source(${package}): scripts/fetch-guest-sources.sh failed (its message is "
      "above). Configure with -DHL_BUILD_SCRIPT_GUESTS=OFF to build without the guests that need it.")
  endif()
  set(${out_var} ${source} PARENT_SCOPE)
endfunction()
