// The command line berth hands to berth-monitor when it execs it (engine/monitor.cc builds it):
//
//   berth-monitor <id> --berth PATH --root DIR --runroot DIR --pid PID
//                 [--out FD --err FD | --console FD]
//                 [--log-fd FD --log PATH --max-size BYTES --max-files N]
//                 [--health-interval NS --health-timeout NS]
//                 [--restarts N --delay-ms MS]
//                 [--attach-fd FD --attach-path PATH [--stdin FD] [--wait-attach-ms MS]]
//
// The container id comes first so that `pgrep -f "monitor <id>"` and berth's monitor_alive
// (which looks for the id in /proc/<pid>/cmdline) find this process as they found berth's own
// `monitor <id>`. Every fd named is inherited without FD_CLOEXEC; anything else inherited is
// closed on the monitor's next exec.
#pragma once

#include <stdint.h>

namespace berth::monitor {

struct Args {
  const char* id = nullptr;
  const char* berth = nullptr;  // the berth binary to exec when the container has exited
  const char* root = nullptr;
  const char* runroot = nullptr;
  int pid = -1;                 // the container's first process, a child of this process
  int out_fd = -1, err_fd = -1;  // read ends of the container's stdout/stderr pipes
  int console_fd = -1;           // or the pty master (stdout only, as Docker logs a tty)
  int log_fd = -1;               // the json-file log, opened by berth (no log: --log-driver none)
  const char* log_path = nullptr;
  int64_t max_size = 10 * 1000 * 1000;
  int max_files = 3;
  int64_t health_interval_ns = 0;  // 0: no healthcheck
  int64_t health_timeout_ns = 30'000'000'000;
  int attach_fd = -1;           // -i: the listening attach.sock (engine/attach.h's protocol)
  const char* attach_path = nullptr;  // removed at exit
  int64_t wait_attach_ms = 0;   // `start -a`: output waits in the pipes for the first client
  int stdin_fd = -1;            // write end of the container's stdin pipe (-i without -t)
  const char* restarts = "0";  // the restart policy's state, handed back to berth untouched
  const char* delay_ms = "100";
};

// Parses argv[1..argc); returns nullptr or the message of what is wrong.
const char* parse_args(int argc, char** argv, Args& out);

}  // namespace berth::monitor
