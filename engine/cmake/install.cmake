# `cmake --install`: the public headers, the libraries, the CMake package roomcast
# (find_package(roomcast CONFIG) gives roomcast::roomcast) and roomcast.pc.
#
# roomcast is a static archive that links the layer archives in ROOMCAST_INTERNAL_LIBS.
# Those are installed and exported as they are, as link-only dependencies: they carry no
# install include directories, so no engine/src header is installed or reachable, and a
# consumer names roomcast::roomcast (or -lroomcast through pkg-config) alone while the
# package adds the layer archives to its link line in order. Merging them into one
# libroomcast.a instead would take object libraries (changing how every layer target is
# built, and how the tests link single layers) or a per-toolchain ar script, for no gain to
# a consumer.
include(CMakePackageConfigHelpers)

set(ROOMCAST_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/roomcast)

install(TARGETS roomcast ${ROOMCAST_INTERNAL_LIBS}
  EXPORT roomcastTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  FILE_SET HEADERS DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT roomcastTargets NAMESPACE roomcast:: DESTINATION ${ROOMCAST_CMAKE_DIR})

configure_package_config_file(cmake/roomcastConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/roomcastConfig.cmake
  INSTALL_DESTINATION ${ROOMCAST_CMAKE_DIR})
# Before 1.0 a minor release may change the API, so a request for 0.6 accepts 0.6.x only.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/roomcastConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/roomcastConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/roomcastConfigVersion.cmake
        DESTINATION ${ROOMCAST_CMAKE_DIR})

# roomcast.pc. The prefix is found from the file's own place (${pcfiledir}), so the file is
# right for any `cmake --install --prefix`. A static library's dependencies all go to the
# .private fields (pkg-config --static): the public headers need none of them.
#   Requires.private: what has a .pc file (roaring ships none: it is in Libs.private).
#   Libs.private: the layer archives after libroomcast, each before the ones it links.
file(RELATIVE_PATH ROOMCAST_PC_TO_PREFIX
  /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(ROOMCAST_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(ROOMCAST_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
set(ROOMCAST_PC_REQUIRES_PRIVATE "liburing hiredis simdjson libcrypto")
set(ROOMCAST_PC_LIBS_PRIVATE ${ROOMCAST_INTERNAL_LIBS})
list(REVERSE ROOMCAST_PC_LIBS_PRIVATE)
list(TRANSFORM ROOMCAST_PC_LIBS_PRIVATE PREPEND -l)
list(APPEND ROOMCAST_PC_LIBS_PRIVATE -lroaring -pthread)
list(JOIN ROOMCAST_PC_LIBS_PRIVATE " " ROOMCAST_PC_LIBS_PRIVATE)
configure_file(cmake/roomcast.pc.in ${CMAKE_CURRENT_BINARY_DIR}/roomcast.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/roomcast.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
