# The receiver library: include/axon/verify.hpp (with its definitions in
# include/axon/detail/verify_impl.hpp), header-only, OpenSSL libcrypto its only dependency.
# Builds the INTERFACE target axon_verify (alias axon::verify), installs the headers and a
# CMake package so another project can:
#
#   find_package(AxonVerify 0.1 REQUIRED)
#   target_link_libraries(app PRIVATE axon::verify)
#
# Install only this part with: cmake --install <build> --component axon_verify --prefix <dir>
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

add_library(axon_verify INTERFACE)
add_library(axon::verify ALIAS axon_verify)
set_target_properties(axon_verify PROPERTIES EXPORT_NAME verify)
target_include_directories(axon_verify INTERFACE
  $<BUILD_INTERFACE:${CMAKE_CURRENT_LIST_DIR}/../include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_link_libraries(axon_verify INTERFACE OpenSSL::Crypto)
target_compile_features(axon_verify INTERFACE cxx_std_17)

set(AXON_VERIFY_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/AxonVerify)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/../include/axon/verify.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/axon COMPONENT axon_verify)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/../include/axon/detail/verify_impl.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/axon/detail COMPONENT axon_verify)
install(TARGETS axon_verify EXPORT AxonVerifyTargets COMPONENT axon_verify)
install(EXPORT AxonVerifyTargets NAMESPACE axon:: DESTINATION ${AXON_VERIFY_CMAKE_DIR}
        COMPONENT axon_verify)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/AxonVerifyConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/AxonVerifyConfig.cmake
  INSTALL_DESTINATION ${AXON_VERIFY_CMAKE_DIR})
# Header-only: the same package serves any architecture.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/AxonVerifyConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion ARCH_INDEPENDENT)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/AxonVerifyConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/AxonVerifyConfigVersion.cmake
        DESTINATION ${AXON_VERIFY_CMAKE_DIR} COMPONENT axon_verify)

if(AXON_BUILD_TESTS)
  # Installs the component into a scratch prefix and builds tests/cmake_consumer against it.
  add_test(NAME verify.cmake_consumer
    COMMAND ${CMAKE_COMMAND}
      -DBUILD_DIR=${CMAKE_BINARY_DIR}
      -DSOURCE_DIR=${CMAKE_CURRENT_LIST_DIR}/../tests/cmake_consumer
      -DWORK_DIR=${CMAKE_BINARY_DIR}/tests/cmake_consumer
      -DGENERATOR=${CMAKE_GENERATOR}
      -P ${CMAKE_CURRENT_LIST_DIR}/../tests/cmake_consumer/run.cmake)
  set_tests_properties(verify.cmake_consumer PROPERTIES TIMEOUT 300)
endif()
