# Installation layout and Debian packages (docs/packaging.md).
#
# `cmake --install` puts programs, man pages, completions, systemd units
# and the sysusers.d/tmpfiles.d entries where a Debian system keeps them;
# `cpack -G DEB` (or the `deb` target) makes one package per component:
# hvpolicy (CLI), hvpolicy-controller, hvpolicy-node, hvpolicy-lab.
# Dependencies come from dpkg-shlibdeps over the programs actually built.
include(GNUInstallDirs)

set(HVP_BINDIR ${CMAKE_INSTALL_FULL_BINDIR})
# Debian 12 keeps units in /lib/systemd/system (systemd.pc says so) and the
# other two under /usr/lib; a prefix other than /usr keeps them under it.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(HVP_UNITDIR /lib/systemd/system)
  set(HVP_SYSCONFDIR /etc)
else()
  set(HVP_UNITDIR ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
  set(HVP_SYSCONFDIR ${CMAKE_INSTALL_FULL_SYSCONFDIR})
endif()
set(HVP_LIBDIR_SYSUSERS ${CMAKE_INSTALL_PREFIX}/lib/sysusers.d)
set(HVP_LIBDIR_TMPFILES ${CMAKE_INSTALL_PREFIX}/lib/tmpfiles.d)
set(HVP_DEPLOY ${PROJECT_SOURCE_DIR}/deploy)
set(HVP_GEN ${PROJECT_BINARY_DIR}/deploy)

# ---- man pages (scdoc sources in docs/man/) ----
find_program(SCDOC scdoc)
find_program(GZIP gzip REQUIRED)
set(HVP_MANPAGES
  hvpolicy.1:hvpolicy
  hvpolicy-policy.5:hvpolicy
  hvpolicy-controller.8:hvpolicy-controller
  hvpolicy-node.8:hvpolicy-node
  hvpolicy-lab.1:hvpolicy-lab)
set(HVP_MAN_OUTPUTS)
foreach(entry ${HVP_MANPAGES})
  string(REPLACE ":" ";" parts ${entry})
  list(GET parts 0 page)
  list(GET parts 1 component)
  string(REGEX REPLACE "^.*\\.([0-9])$" "\\1" section ${page})
  set(src ${PROJECT_SOURCE_DIR}/docs/man/${page}.scd)
  set(out ${PROJECT_BINARY_DIR}/man/${page})
  if(SCDOC)
    add_custom_command(OUTPUT ${out} ${out}.gz
      COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
      COMMAND sh -c "'${SCDOC}' < '${src}' > '${out}'"
      COMMAND sh -c "'${GZIP}' -9n -c '${out}' > '${out}.gz'"
      DEPENDS ${src} VERBATIM)
    list(APPEND HVP_MAN_OUTPUTS ${out} ${out}.gz)
    install(FILES ${out}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section}
            COMPONENT ${component})
  endif()
endforeach()
if(SCDOC)
  add_custom_target(man ALL DEPENDS ${HVP_MAN_OUTPUTS})
else()
  message(STATUS "scdoc not found: no man pages (apt-get install scdoc)")
endif()

# ---- shell completions, made by the CLI from its help table ----
if(NOT CMAKE_CROSSCOMPILING)
  set(HVP_COMPLETIONS ${PROJECT_BINARY_DIR}/completions)
  add_custom_command(OUTPUT ${HVP_COMPLETIONS}/hvpolicy ${HVP_COMPLETIONS}/_hvpolicy
    COMMAND ${CMAKE_COMMAND} -E make_directory ${HVP_COMPLETIONS}
    COMMAND sh -c "'$<TARGET_FILE:hvpolicy>' completion bash > '${HVP_COMPLETIONS}/hvpolicy'"
    COMMAND sh -c "'$<TARGET_FILE:hvpolicy>' completion zsh > '${HVP_COMPLETIONS}/_hvpolicy'"
    DEPENDS hvpolicy VERBATIM)
  add_custom_target(completions ALL DEPENDS ${HVP_COMPLETIONS}/hvpolicy
                    ${HVP_COMPLETIONS}/_hvpolicy)
  install(FILES ${HVP_COMPLETIONS}/hvpolicy
          DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
          COMPONENT hvpolicy)
  install(FILES ${HVP_COMPLETIONS}/_hvpolicy
          DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions
          COMPONENT hvpolicy)
endif()

# ---- per package: units, users, directories, docs ----
foreach(pkg hvpolicy hvpolicy-controller hvpolicy-node hvpolicy-lab)
  set(PKG ${pkg})
  configure_file(${HVP_DEPLOY}/debian/changelog.in ${HVP_GEN}/${pkg}/changelog @ONLY)
  add_custom_command(OUTPUT ${HVP_GEN}/${pkg}/changelog.gz
    COMMAND sh -c "'${GZIP}' -9n -c '${HVP_GEN}/${pkg}/changelog' > '${HVP_GEN}/${pkg}/changelog.gz'"
    DEPENDS ${HVP_GEN}/${pkg}/changelog VERBATIM)
  add_custom_target(changelog-${pkg} ALL DEPENDS ${HVP_GEN}/${pkg}/changelog.gz)
  install(FILES ${HVP_GEN}/${pkg}/changelog.gz ${HVP_DEPLOY}/debian/copyright
          DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${pkg} COMPONENT ${pkg})
endforeach()
foreach(daemon controller node)
  configure_file(${HVP_DEPLOY}/hvpolicy-${daemon}.service.in
                 ${HVP_GEN}/hvpolicy-${daemon}.service @ONLY)
  install(FILES ${HVP_GEN}/hvpolicy-${daemon}.service DESTINATION ${HVP_UNITDIR}
          COMPONENT hvpolicy-${daemon})
  install(FILES ${HVP_DEPLOY}/hvpolicy-${daemon}.sysusers
          DESTINATION ${HVP_LIBDIR_SYSUSERS} RENAME hvpolicy-${daemon}.conf
          COMPONENT hvpolicy-${daemon})
  install(FILES ${HVP_DEPLOY}/hvpolicy-${daemon}.tmpfiles
          DESTINATION ${HVP_LIBDIR_TMPFILES} RENAME hvpolicy-${daemon}.conf
          COMPONENT hvpolicy-${daemon})
endforeach()
install(FILES ${HVP_DEPLOY}/controller.yaml.example
        DESTINATION ${HVP_SYSCONFDIR}/hvpolicy RENAME controller.yaml
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
        COMPONENT hvpolicy-controller)
install(FILES ${HVP_DEPLOY}/node.yaml.example
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/hvpolicy-node/examples
        RENAME node.yaml COMPONENT hvpolicy-node)

# ---- CPack: Debian packages ----
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME hvpolicy)
set(CPACK_PACKAGE_VENDOR "hvpolicy")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(HVP_PACKAGE_CONTACT "hvpolicy maintainers <hvpolicy@example.org>"
    CACHE STRING "Maintainer of the Debian packages (set it when you publish them)")
set(CPACK_PACKAGE_CONTACT ${HVP_PACKAGE_CONTACT})
# Paths in the units and outside the prefix (/etc, /lib/systemd) are fixed
# at configure time: packages come from a build configured with
# -DCMAKE_INSTALL_PREFIX=/usr (scripts/test-packages does that).
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  message(STATUS "CMAKE_INSTALL_PREFIX is not /usr: cpack makes no Debian-conformant packages from this build")
endif()
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL hvpolicy hvpolicy-controller hvpolicy-node hvpolicy-lab)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://hvpolicy.invalid/")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_HVPOLICY_PACKAGE_NAME hvpolicy)
set(CPACK_DEBIAN_HVPOLICY-CONTROLLER_PACKAGE_NAME hvpolicy-controller)
set(CPACK_DEBIAN_HVPOLICY-NODE_PACKAGE_NAME hvpolicy-node)
set(CPACK_DEBIAN_HVPOLICY-LAB_PACKAGE_NAME hvpolicy-lab)
set(CPACK_COMPONENT_HVPOLICY_DESCRIPTION
  "command line to apply, check and report Hyper-V backup policy\nThe administrator's tool for hvpolicy-controller: validates and applies\nbackup policies, reports drift, 30112 findings and the DPM serialization\nplan, and backs up the controller's store.")
set(CPACK_COMPONENT_HVPOLICY-CONTROLLER_DESCRIPTION
  "daemon that holds Hyper-V clusters to one backup policy\nPushes a declared backup policy to the node daemons of a Hyper-V cluster\nand its DPM server over ZeroMQ with CURVE, keeps policy revisions and\ndrift in SQLite, and plans DPM serialization.")
set(CPACK_COMPONENT_HVPOLICY-NODE_DESCRIPTION
  "node daemon of hvpolicy for Linux (simulated hosts and labs)\nHolds one host to the cluster's backup policy. Production nodes are\nWindows machines running the Windows build; this package runs the\ndaemon against simulated host files.")
set(CPACK_COMPONENT_HVPOLICY-LAB_DESCRIPTION
  "simulated Hyper-V cluster on one machine, for trying hvpolicy\nMakes and runs a controller and node daemons over simulated hosts, for\ntrying hvpolicy and for tests.")
set(CPACK_DEBIAN_HVPOLICY-CONTROLLER_PACKAGE_DEPENDS "systemd")
set(CPACK_DEBIAN_HVPOLICY-CONTROLLER_PACKAGE_RECOMMENDS "hvpolicy")
set(CPACK_DEBIAN_HVPOLICY-NODE_PACKAGE_DEPENDS "systemd")
set(CPACK_DEBIAN_HVPOLICY-LAB_PACKAGE_DEPENDS
  "hvpolicy (= ${PROJECT_VERSION}), hvpolicy-controller (= ${PROJECT_VERSION}), hvpolicy-node (= ${PROJECT_VERSION})")
foreach(daemon controller node)
  string(TOUPPER ${daemon} D)
  set(extra)
  # dpkg knows control files by name: copies named postinst, prerm, ...
  foreach(script postinst prerm postrm)
    configure_file(${HVP_DEPLOY}/debian/hvpolicy-${daemon}.${script}
                   ${HVP_GEN}/hvpolicy-${daemon}/control/${script} COPYONLY)
    list(APPEND extra ${HVP_GEN}/hvpolicy-${daemon}/control/${script})
  endforeach()
  if(daemon STREQUAL "controller")
    file(WRITE ${HVP_GEN}/hvpolicy-controller/control/conffiles
         "/etc/hvpolicy/controller.yaml\n")
    list(APPEND extra ${HVP_GEN}/hvpolicy-controller/control/conffiles)
  endif()
  set(CPACK_DEBIAN_HVPOLICY-${D}_PACKAGE_CONTROL_EXTRA ${extra})
endforeach()
include(CPack)
