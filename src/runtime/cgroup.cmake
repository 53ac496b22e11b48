# cgroups v1 and v2 (cgroup.h): layout detection, the two backends and the v2 device filter.
list(APPEND RUNTIME_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/cgroup.cc
  ${CMAKE_CURRENT_LIST_DIR}/cgroup_io.cc
  ${CMAKE_CURRENT_LIST_DIR}/cgroup_v1.cc
  ${CMAKE_CURRENT_LIST_DIR}/cgroup_v2.cc
  ${CMAKE_CURRENT_LIST_DIR}/cgroup_bpf.cc)
list(APPEND RUNTIME_TESTS
  ${CMAKE_CURRENT_LIST_DIR}/cgroup_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/cgroup_host_test.cc)
