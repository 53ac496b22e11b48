// The user's terminal wired to a container's pty (run -t, exec -t): raw mode while proxying
// (with -i), keystrokes to the pty, its output to ours, the window size followed on SIGWINCH.
// Shared by `run -t` (containers.cc) and `exec -t`.
#pragma once

namespace berth::engine {

// Returns when the pty closes (every process holding its other side has exited).
void proxy_pty(int master, bool interactive);

}  // namespace berth::engine
