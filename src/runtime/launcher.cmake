list(APPEND RUNTIME_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/launcher.cc
  ${CMAKE_CURRENT_LIST_DIR}/launcher_child.cc
  ${CMAKE_CURRENT_LIST_DIR}/exec.cc
  ${CMAKE_CURRENT_LIST_DIR}/hooks.cc
  ${CMAKE_CURRENT_LIST_DIR}/mount_clone.cc
  ${CMAKE_CURRENT_LIST_DIR}/userns.cc)
list(APPEND RUNTIME_TESTS ${CMAKE_CURRENT_LIST_DIR}/launcher_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/exec_test.cc)
