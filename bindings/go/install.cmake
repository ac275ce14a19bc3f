# Installs the Go binding's source as a module directory, PREFIX/share/hyperlight/go:
# there is no module proxy to fetch it from, so a module outside this
# repository points at it with a replace directive (bindings/go/README.md,
# "Using it from your own module"). cgo then finds the installed header and
# library through PREFIX/lib/pkgconfig/hyperlight.pc. Tests stay behind: they
# need the test guests of a build tree.
include(GNUInstallDirs)
install(DIRECTORY ${CMAKE_CURRENT_LIST_DIR}/
  DESTINATION ${CMAKE_INSTALL_DATADIR}/hyperlight/go
  FILES_MATCHING
    PATTERN "go.mod"
    PATTERN "*.go"
    PATTERN "*.c"
    PATTERN "README.md"
    PATTERN "*_test.go" EXCLUDE)
