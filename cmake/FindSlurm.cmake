# Finds Slurm's C API. Debian 12 (22.05) ships no pkg-config file, so headers and libraries are
# found directly.
#
# Slurm::slurm links libslurm by default. With SLURM_USE_LIBSLURMFULL (default ON when found), it
# links the private libslurmfull.so with an rpath instead: the accounting plugins that libslurm
# loads call symbols (e.g. slurmdbd_msg_type_2_str) that libslurm.so does not export, which makes
# the process die on some slurmdbd errors; libslurmfull exports them.
find_path(SLURM_INCLUDE_DIR slurm/slurm.h)
find_library(SLURM_LIBRARY slurm)
find_library(SLURM_FULL_LIBRARY slurmfull PATH_SUFFIXES slurm-wlm slurm)
option(SLURM_USE_LIBSLURMFULL "Link the private libslurmfull.so (see FindSlurm.cmake)" ON)

if(SLURM_INCLUDE_DIR AND EXISTS "${SLURM_INCLUDE_DIR}/slurm/slurm_version.h")
  file(STRINGS "${SLURM_INCLUDE_DIR}/slurm/slurm_version.h" _slurm_ver
       REGEX "^#define SLURM_VERSION_NUMBER")
  string(REGEX REPLACE ".*0x([0-9a-fA-F]+).*" "\\1" _slurm_hex "${_slurm_ver}")
  math(EXPR _maj "0x${_slurm_hex} >> 16" OUTPUT_FORMAT DECIMAL)
  math(EXPR _min "(0x${_slurm_hex} >> 8) & 255" OUTPUT_FORMAT DECIMAL)
  math(EXPR _mic "0x${_slurm_hex} & 255" OUTPUT_FORMAT DECIMAL)
  set(SLURM_VERSION_STRING "${_maj}.${_min}.${_mic}")
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Slurm REQUIRED_VARS SLURM_INCLUDE_DIR SLURM_LIBRARY
                                  VERSION_VAR SLURM_VERSION_STRING)

if(Slurm_FOUND AND NOT TARGET Slurm::slurm)
  add_library(Slurm::slurm INTERFACE IMPORTED)
  set_target_properties(Slurm::slurm PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${SLURM_INCLUDE_DIR}")
  if(SLURM_USE_LIBSLURMFULL AND SLURM_FULL_LIBRARY)
    get_filename_component(_slurm_full_dir "${SLURM_FULL_LIBRARY}" DIRECTORY)
    target_link_libraries(Slurm::slurm INTERFACE "${SLURM_FULL_LIBRARY}"
                                                 "-Wl,-rpath,${_slurm_full_dir}")
    target_compile_definitions(Slurm::slurm INTERFACE SLURM_HAVE_LIBSLURMFULL=1)
    message(STATUS "Slurm: linking ${SLURM_FULL_LIBRARY} (rpath ${_slurm_full_dir})")
  else()
    target_link_libraries(Slurm::slurm INTERFACE "${SLURM_LIBRARY}")
    message(STATUS "Slurm: linking ${SLURM_LIBRARY}")
  endif()
endif()
