#include "engine/terminal.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

#include "base/fs.h"
#include "base/scope_exit.h"

namespace berth::engine {
namespace {

volatile sig_atomic_t g_pty_winch = 0;
void note_pty_winch(int) { g_pty_winch = 1; }

void copy_size(int from_tty, int to_pty) {
  struct winsize ws {};
  if (::ioctl(from_tty, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
    ::ioctl(to_pty, TIOCSWINSZ, &ws);
}

bool write_all_fd(int fd, const char* p, size_t n) { return write_all(fd, {p, n}).ok(); }

}  // namespace

void proxy_pty(int master, bool interactive) {
  struct termios saved {};
  bool raw = interactive && ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    ::cfmakeraw(&t);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &t);
  }
  ScopeExit restore([&] {
    if (raw) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  });
  struct sigaction sa {};
  sa.sa_handler = note_pty_winch;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGWINCH, &sa, nullptr);
  if (::isatty(STDOUT_FILENO)) copy_size(STDOUT_FILENO, master);
  bool stdin_open = interactive;
  char buf[16384];
  while (true) {
    if (g_pty_winch) {
      g_pty_winch = 0;
      copy_size(STDOUT_FILENO, master);
    }
    struct pollfd fds[2] = {{master, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    int n = ::poll(fds, stdin_open ? 2 : 1, 250);
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = ::read(master, buf, sizeof buf);
      if (r <= 0) break;  // EIO: every holder of the pty's other side is gone
      if (!write_all_fd(STDOUT_FILENO, buf, static_cast<size_t>(r))) break;
    }
    if (stdin_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t r = ::read(STDIN_FILENO, buf, sizeof buf);
      if (r <= 0) {
        stdin_open = false;
        const char eot = 4;  // end of input, as a terminal user types it
        write_all_fd(master, &eot, 1);
      } else {
        write_all_fd(master, buf, static_cast<size_t>(r));
      }
    }
  }
}

}  // namespace berth::engine
