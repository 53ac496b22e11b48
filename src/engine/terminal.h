// The user's terminal wired to a container's pty (run -t, exec -t): raw mode while proxying
// (with -i), keystrokes to the pty, its output to ours, the window size followed on SIGWINCH.
// Shared by `run -t` (containers.cc) and `exec -t`.
#pragma once

#include <termios.h>

#include <string>

namespace berth::engine {

// Our stdin in raw mode for the life of this object, when `want` and stdin is a terminal;
// the saved mode is restored on destruction.
class RawStdin {
 public:
  explicit RawStdin(bool want);
  ~RawStdin();
  RawStdin(const RawStdin&) = delete;
  RawStdin& operator=(const RawStdin&) = delete;
  bool active() const { return raw_; }

 private:
  struct termios saved_ {};
  bool raw_ = false;
};

// Returns when the pty closes (every process holding its other side has exited): false; or,
// with `detach_keys` (engine/detach_keys.h) not empty and the user typing them: true, with the
// pty left to the caller.
bool proxy_pty(int master, bool interactive, const std::string& detach_keys = "");

// After a detach: a small child of its own session keeps the pty's master open and drains it,
// so the processes on the pty run on (closing the master would hang them up) until they exit.
void keep_pty_open(int master);

}  // namespace berth::engine
