# hl_install_configured(TEMPLATE DESTINATION [PROGRAM])
#
# Installs TEMPLATE (a file ending in .in) into DESTINATION without the .in.
# @VAR@ is replaced now, as configure_file(@ONLY) does, except @HL_PREFIX@,
# which is replaced when installing by the prefix being installed into
# (`cmake --install build --prefix P` gives P). Files that name absolute
# paths, such as pkg-config files, then name the real prefix whichever
# prefix is chosen after configuring. PROGRAM installs it executable.
function(hl_install_configured template destination)
  cmake_parse_arguments(arg "PROGRAM" "" "" ${ARGN})
  get_filename_component(name ${template} NAME)
  string(REGEX REPLACE "\\.in$" "" name ${name})
  set(HL_PREFIX "@HL_PREFIX@") # kept for the install-time pass
  set(partly ${CMAKE_CURRENT_BINARY_DIR}/install-templates/${name}.in)
  set(installed ${CMAKE_CURRENT_BINARY_DIR}/install-files/${name})
  configure_file(${template} ${partly} @ONLY)
  install(CODE "set(HL_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")\nconfigure_file(\"${partly}\" \"${installed}\" @ONLY)")
  if(arg_PROGRAM)
    install(PROGRAMS ${installed} DESTINATION ${destination})
  else()
    install(FILES ${installed} DESTINATION ${destination})
  endif()
endfunction()
