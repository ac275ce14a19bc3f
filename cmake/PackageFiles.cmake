# How other projects find the installed library (docs/using.md):
#   CMake:      find_package(hyperlight CONFIG) -> hyperlight::hyperlight,
#               hyperlight::guest and hl_add_guest() (lib/cmake/hyperlight/)
#   pkg-config: hyperlight.pc (the host library); the guest SDK's
#               hyperlight-guest.pc comes from guest/CMakeLists.txt
# and, in the build tree, pkgconfig/hyperlight-uninstalled.pc for in-repo
# consumers (PKG_CONFIG_PATH=build/pkgconfig; pkg-config prefers it).
include(CMakePackageConfigHelpers)

set(HL_CMAKE_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/hyperlight)
install(EXPORT hyperlightTargets NAMESPACE hyperlight:: DESTINATION ${HL_CMAKE_PACKAGE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/hyperlightConfig.cmake.in
  ${PROJECT_BINARY_DIR}/package/hyperlightConfig.cmake INSTALL_DESTINATION ${HL_CMAKE_PACKAGE_DIR})
# 0.x: a new minor version may break the ABI, so only the same minor matches.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/package/hyperlightConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/package/hyperlightConfig.cmake
  ${PROJECT_BINARY_DIR}/package/hyperlightConfigVersion.cmake ${CMAKE_CURRENT_LIST_DIR}/HyperlightGuest.cmake
  DESTINATION ${HL_CMAKE_PACKAGE_DIR})

hl_install_configured(${CMAKE_CURRENT_LIST_DIR}/hyperlight.pc.in ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
configure_file(${CMAKE_CURRENT_LIST_DIR}/hyperlight-uninstalled.pc.in
  ${PROJECT_BINARY_DIR}/pkgconfig/hyperlight-uninstalled.pc @ONLY)
