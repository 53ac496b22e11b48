#include "engine/terminal.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

#include "base/fs.h"
#include "base/scope_exit.h"
#include "engine/detach_keys.h"

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

RawStdin::RawStdin(bool want) {
  raw_ = want && ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved_) == 0;
  if (!raw_) return;
  struct termios t = saved_;
  ::cfmakeraw(&t);
  ::tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

RawStdin::~RawStdin() {
  if (raw_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
}

bool proxy_pty(int master, bool interactive, const std::string& detach_keys) {
  RawStdin raw(interactive);
  struct sigaction sa {};
  sa.sa_handler = note_pty_winch;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGWINCH, &sa, nullptr);
  if (::isatty(STDOUT_FILENO)) copy_size(STDOUT_FILENO, master);
  bool stdin_open = interactive;
  DetachMatcher keys(detach_keys);
  std::string send;
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
        std::string last(keys.held());  // a detach prefix typed last was input after all
        last.push_back(4);                // end of input, as a terminal user types it
        write_all_fd(master, last.data(), last.size());
      } else {
        send.clear();
        bool detached = keys.feed(buf, static_cast<size_t>(r), send);
        write_all_fd(master, send.data(), send.size());
        if (detached) return true;
      }
    }
  }
  return false;
}

void keep_pty_open(int master) {
  pid_t pid = ::fork();
  if (pid != 0) return;  // the parent (or a failed fork: then the processes get a hang-up)
  ::setsid();
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
  // Nothing else of berth's (the store's database and its locks) lives on in this process.
  if (::dup2(master, 3) < 0) ::_exit(1);
  master = 3;
  ::syscall(SYS_close_range, 4U, ~0U, 0U);
  signal(SIGWINCH, SIG_DFL);
  char buf[4096];
  // EIO once every process holding the other side has exited.
  while (true) {
    ssize_t r = ::read(master, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
  }
  ::_exit(0);
}

}  // namespace berth::engine
