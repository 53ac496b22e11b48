// Facts about a process read from /proc.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace berth {

// The process's start time (field 22 of /proc/<pid>/stat, in clock ticks since boot): with the
// pid, it names one process for good, since a pid is reused only by a later process. 0 when
// the process is gone or a zombie.
uint64_t process_start_time(pid_t pid);

// Whether `pid` runs and, when start_time is not 0, is still the process that had it.
bool process_alive(pid_t pid, uint64_t start_time);

}  // namespace berth
