# Seccomp (libseccomp, compiled in the parent) and capabilities (raw capset, no libcap).
pkg_check_modules(SECCOMP REQUIRED IMPORTED_TARGET libseccomp)
list(APPEND RUNTIME_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/seccomp.cc
  ${CMAKE_CURRENT_LIST_DIR}/seccomp_default.cc
  ${CMAKE_CURRENT_LIST_DIR}/caps.cc)
list(APPEND RUNTIME_TESTS
  ${CMAKE_CURRENT_LIST_DIR}/seccomp_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/caps_test.cc)
list(APPEND RUNTIME_DEPS berth_seccomp nlohmann_json::nlohmann_json)
