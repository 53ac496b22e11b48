# Spec generation: Docker's defaults and `berth run` options -> OCI runtime spec.
list(APPEND RUNTIME_SOURCES ${CMAKE_CURRENT_LIST_DIR}/spec.cc)
list(APPEND RUNTIME_TESTS ${CMAKE_CURRENT_LIST_DIR}/spec_test.cc)
list(APPEND RUNTIME_SOURCES ${CMAKE_CURRENT_LIST_DIR}/signals.cc)
list(APPEND RUNTIME_SOURCES ${CMAKE_CURRENT_LIST_DIR}/device_rules.cc)
