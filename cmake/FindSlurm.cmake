# Finds Slurm's C API: the headers, libslurm and the private libslurmfull.
#
# Where: the standard CMake search, so `-DCMAKE_PREFIX_PATH=<slurm prefix>` picks a Slurm built
# from source (scripts/slurm-build.sh) before Debian's packaged one in /usr. The libraries are
# looked for first in the prefix the headers came from, so that headers and libraries are never
# mixed from two Slurm installations; the version of the headers and of the library must agree.
# No pkg-config: Slurm installs slurm.pc only from 24.05 on, and Debian 12 (22.05) ships none.
#
# Slurm::slurm links libslurm by default. With SLURM_USE_LIBSLURMFULL (default ON when found), it
# links the private libslurmfull.so with an rpath instead: the accounting plugins that libslurm
# loads call symbols (e.g. slurmdbd_msg_type_2_str) that libslurm.so does not export, which makes
# the process die on some slurmdbd errors; libslurmfull exports them. From 23.11 on, the plugins
# must also come from the very same build as the library (slurm_init() loads them), which the
# rpath into the build's own lib/slurm directory guarantees.
#
# Sets SLURM_VERSION_STRING ("24.11.7"), SLURM_SERIES ("24.11") and SLURM_PREFIX.
find_path(SLURM_INCLUDE_DIR slurm/slurm.h)
set(SLURM_PREFIX "")
if(SLURM_INCLUDE_DIR)
  get_filename_component(SLURM_PREFIX "${SLURM_INCLUDE_DIR}" DIRECTORY)
endif()
find_library(SLURM_LIBRARY slurm HINTS "${SLURM_PREFIX}/lib" "${SLURM_PREFIX}/lib64"
             NO_CMAKE_PATH NO_CMAKE_ENVIRONMENT_PATH)
find_library(SLURM_LIBRARY slurm)
find_library(SLURM_FULL_LIBRARY slurmfull
             HINTS "${SLURM_PREFIX}/lib/slurm" "${SLURM_PREFIX}/lib64/slurm"
                   "${SLURM_PREFIX}/lib/${CMAKE_LIBRARY_ARCHITECTURE}/slurm-wlm"
             NO_CMAKE_PATH NO_CMAKE_ENVIRONMENT_PATH NO_CMAKE_SYSTEM_PATH NO_SYSTEM_ENVIRONMENT_PATH)
option(SLURM_USE_LIBSLURMFULL "Link the private libslurmfull.so (see FindSlurm.cmake)" ON)

if(SLURM_INCLUDE_DIR AND EXISTS "${SLURM_INCLUDE_DIR}/slurm/slurm_version.h")
  file(STRINGS "${SLURM_INCLUDE_DIR}/slurm/slurm_version.h" _slurm_ver
       REGEX "^#define SLURM_VERSION_NUMBER")
  string(REGEX REPLACE ".*0x([0-9a-fA-F]+).*" "\\1" _slurm_hex "${_slurm_ver}")
  math(EXPR _maj "0x${_slurm_hex} >> 16" OUTPUT_FORMAT DECIMAL)
  math(EXPR _min "(0x${_slurm_hex} >> 8) & 255" OUTPUT_FORMAT DECIMAL)
  math(EXPR _mic "0x${_slurm_hex} & 255" OUTPUT_FORMAT DECIMAL)
  if(_min LESS 10)
    set(_min "0${_min}")
  endif()
  set(SLURM_VERSION_STRING "${_maj}.${_min}.${_mic}")
  set(SLURM_SERIES "${_maj}.${_min}")
endif()

# libslurm's soname tells its release series: headers of one Slurm with the library of another
# would compile and then misread every struct.
if(SLURM_LIBRARY AND SLURM_VERSION_STRING)
  get_filename_component(_slurm_real "${SLURM_LIBRARY}" REALPATH)
  set(_slurm_sonames 22.05=38 23.02=39 23.11=40 24.05=41 24.11=42 25.05=43 25.11=44 26.05=45)
  foreach(_pair IN LISTS _slurm_sonames)
    string(REPLACE "=" ";" _pair "${_pair}")
    list(GET _pair 0 _series)
    list(GET _pair 1 _so)
    if(_series STREQUAL SLURM_SERIES AND NOT _slurm_real MATCHES "libslurm\\.so\\.${_so}(\\.|$)")
      message(FATAL_ERROR "Slurm headers in ${SLURM_INCLUDE_DIR} are ${SLURM_VERSION_STRING}, but "
                          "${SLURM_LIBRARY} (${_slurm_real}) is not libslurm.so.${_so} of that "
                          "series: point CMAKE_PREFIX_PATH at one Slurm installation")
    endif()
  endforeach()
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
    message(STATUS "Slurm ${SLURM_VERSION_STRING}: linking ${SLURM_FULL_LIBRARY} (rpath ${_slurm_full_dir})")
  else()
    get_filename_component(_slurm_lib_dir "${SLURM_LIBRARY}" DIRECTORY)
    target_link_libraries(Slurm::slurm INTERFACE "${SLURM_LIBRARY}" "-Wl,-rpath,${_slurm_lib_dir}")
    message(STATUS "Slurm ${SLURM_VERSION_STRING}: linking ${SLURM_LIBRARY}")
  endif()
endif()
