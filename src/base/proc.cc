#include "base/proc.h"

#include <string>

#include "base/fs.h"
#include "base/strings.h"

namespace berth {

uint64_t process_start_time(pid_t pid) {
  if (pid <= 0) return 0;
  auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat.ok()) return 0;
  // "pid (comm) S ppid ...": comm may hold spaces and parens; fields count from the last ')'.
  auto close = stat->rfind(')');
  if (close == std::string::npos || close + 2 >= stat->size()) return 0;
  auto fields = split(std::string_view(*stat).substr(close + 2), ' ');
  // fields[0] is the state (field 3); starttime is field 22.
  if (fields.size() < 20 || fields[0] == "Z" || fields[0] == "X") return 0;
  try {
    return std::stoull(fields[19]);
  } catch (...) {
    return 0;
  }
}

bool process_alive(pid_t pid, uint64_t start_time) {
  uint64_t now = process_start_time(pid);
  return now != 0 && (start_time == 0 || now == start_time);
}

}  // namespace berth
