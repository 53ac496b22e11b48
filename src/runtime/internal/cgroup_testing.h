// Helpers shared by the cgroup tests (cgroup_test.cc, cgroup_host_test.cc). Test-only.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>

#include "base/fs.h"
#include "base/strings.h"

namespace berth::runtime::cgroup_testing {

inline constexpr int64_t kMiB = 1024 * 1024;

// File contents, trimmed; "<error message>" when unreadable, so a comparison shows why.
inline std::string cat(const std::string& path) {
  auto r = read_file(path);
  if (!r.ok()) return "<" + r.error().message() + ">";
  return std::string(trim(*r));
}

// Creates or replaces a file of a fake cgroup tree, making its directories.
inline void put(const std::string& path, std::string_view content) {
  ASSERT_TRUE(mkdir_all(dirname(path)).ok()) << path;
  std::ofstream(path, std::ios::trunc) << content;
}

// A child that blocks until killed; killed and reaped at scope exit unless waited for.
struct Child {
  pid_t pid = -1;
  Child() {
    pid = ::fork();
    if (pid == 0) {
      while (true) ::pause();
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  // Waits for the child; returns the signal that ended it (0 if it exited).
  int wait_signal() {
    int status = 0;
    ::waitpid(pid, &status, 0);
    pid = -1;
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  }
};

}  // namespace berth::runtime::cgroup_testing
