# The Debian package (scripts/package.sh; by hand: configure with -DSLURM_EXPORTER_DEB=ON,
# build, then `cpack -G DEB` in the build tree; the package installs under /usr). Beside bin/ and
# the private libraries: the systemd units, their /etc/default files, the remediator's default
# policy (dry run), and the rules, dashboards and documentation under /usr/share.
set(pkg ${CMAKE_CURRENT_SOURCE_DIR}/packaging)
install(FILES ${pkg}/systemd/slurm_exporter.service ${pkg}/systemd/slurm_remediator.service
        DESTINATION /lib/systemd/system)
install(FILES ${pkg}/default/slurm_exporter ${pkg}/default/slurm_remediator
        DESTINATION /etc/default)
install(FILES ${pkg}/etc/remediator-policy.json DESTINATION /etc/slurm_exporter)
install(DIRECTORY alerts/rules/ DESTINATION ${CMAKE_INSTALL_DATADIR}/slurm-exporter/rules
        FILES_MATCHING PATTERN "*.yaml")
install(DIRECTORY dashboards/ DESTINATION ${CMAKE_INSTALL_DATADIR}/slurm-exporter/dashboards
        FILES_MATCHING PATTERN "*.json")
install(FILES README.md docs/metrics.md docs/remediator.md docs/performance.md
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/slurm-exporter)
install(FILES ${pkg}/deb/copyright DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/slurm-exporter)

set(CPACK_GENERATOR DEB)
# Installed under /usr whatever CMAKE_INSTALL_PREFIX says, so that any build tree packages.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_NAME slurm-exporter)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# The maintainer of a locally built package: $DEBFULLNAME <$DEBEMAIL>, as Debian's tools take it.
if(DEFINED ENV{DEBEMAIL})
  set(CPACK_PACKAGE_CONTACT "$ENV{DEBFULLNAME} <$ENV{DEBEMAIL}>")
else()
  set(CPACK_PACKAGE_CONTACT "slurm-exporter maintainers <slurm-exporter@localhost>")
endif()
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
# Debian's changelog.Debian.gz, compressed reproducibly (no name, no time stamp).
configure_file(${pkg}/deb/changelog.in ${CMAKE_BINARY_DIR}/deb/changelog.Debian @ONLY)
execute_process(COMMAND gzip -9nf ${CMAKE_BINARY_DIR}/deb/changelog.Debian COMMAND_ERROR_IS_FATAL ANY)
install(FILES ${CMAKE_BINARY_DIR}/deb/changelog.Debian.gz
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/slurm-exporter)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Prometheus exporter and node remediator for Slurm")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "slurm_exporter reads the state of a Slurm cluster through libslurm and\n\
libslurmdb (controller, nodes, partitions, jobs, scheduler, slurmdbd, munge)\n\
and serves it to Prometheus; slurm_remediator drains and resumes nodes on\n\
Alertmanager webhooks, within the limits of its policy.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/slurm-exporter/slurm-exporter")
# Library dependencies from dpkg-shlibdeps; libslurmfull.so is private to Slurm's plugin
# package, and munged must run on the host.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(private_dirs ${CMAKE_BINARY_DIR}/tls_compat)
if(SLURM_FULL_LIBRARY)
  get_filename_component(slurm_full_dir "${SLURM_FULL_LIBRARY}" DIRECTORY)
  list(APPEND private_dirs ${slurm_full_dir})
endif()
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${private_dirs}")
# libslurm (or libslurmfull, private) and its plugins must be the release the binaries were
# built against: when a Debian package holds them, depend on that package at that version.
set(slurm_depends "")
foreach(lib IN ITEMS ${SLURM_FULL_LIBRARY} ${SLURM_LIBRARY})
  get_filename_component(lib_real "${lib}" REALPATH)
  execute_process(COMMAND dpkg-query -S "${lib}" OUTPUT_VARIABLE owner ERROR_QUIET
                  OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
  if(rc EQUAL 0 AND owner MATCHES "^([^:, ]+)(:[a-z0-9]+)?: ")
    set(owner_pkg ${CMAKE_MATCH_1})
    execute_process(COMMAND dpkg-query -W -f=\${Version} ${owner_pkg}
                    OUTPUT_VARIABLE owner_version OUTPUT_STRIP_TRAILING_WHITESPACE)
    set(slurm_depends ", ${owner_pkg} (= ${owner_version})")
    break()
  endif()
endforeach()
if(NOT slurm_depends)
  message(WARNING "The Slurm in ${SLURM_PREFIX} is no Debian package's: the .deb cannot depend "
                  "on it, and needs that same Slurm installed in the same place")
endif()
set(CPACK_DEBIAN_PACKAGE_DEPENDS "munge, adduser${slurm_depends}")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${pkg}/deb/postinst;${pkg}/deb/prerm;${pkg}/deb/postrm;${pkg}/deb/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
