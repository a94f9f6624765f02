# Embeds docs/openapi.json into axon_api as `axon::api::openapi_document()` (served at
# GET /openapi.json). The file is read at configure time and listed in
# CMAKE_CONFIGURE_DEPENDS, so editing it re-runs CMake on the next build.
set(AXON_OPENAPI_FILE ${CMAKE_SOURCE_DIR}/docs/openapi.json)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${AXON_OPENAPI_FILE})
file(READ ${AXON_OPENAPI_FILE} AXON_OPENAPI_JSON)
set(AXON_OPENAPI_CPP ${CMAKE_BINARY_DIR}/generated/openapi_document.cpp)
configure_file(${CMAKE_SOURCE_DIR}/cmake/openapi_document.cpp.in ${AXON_OPENAPI_CPP} @ONLY)
target_sources(axon_api PRIVATE ${AXON_OPENAPI_CPP})
