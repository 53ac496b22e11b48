// `attach` and `start -a[i]` of a container created with -i: through its berth-monitor's
// attach.sock (engine/attach.h), stdin to the container and its raw output back. A container
// without that socket is followed through its json-file log instead (container.cc).
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <string>

#include "base/fs.h"
#include "base/scope_exit.h"
#include "cli/commands/commands.h"
#include "engine/attach.h"

namespace berth::cli {
namespace {

// After its input ended, a client that leaves the container's stdin open (`attach` to a
// `run -d -i` container) keeps printing until the output has been quiet this long, then
// detaches: Docker ends such an attach when its stdin closes.
constexpr int kQuietAfterInputMs = 500;

volatile std::sig_atomic_t g_proxy_pid = 0;
volatile std::sig_atomic_t g_winch = 0;

bool write_all_fd(int fd, const char* p, size_t n) { return write_all(fd, {p, n}).ok(); }

// Sends our terminal's size to a -t container's pty, on a connection of its own.
void send_window_size(const std::string& dir) {
  struct winsize ws {};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || !ws.ws_row || !ws.ws_col) return;
  auto s = engine::connect_attach(dir);
  if (!s.ok()) return;
  const char msg[5] = {engine::kAttachResize, static_cast<char>(ws.ws_row >> 8),
                       static_cast<char>(ws.ws_row & 0xff), static_cast<char>(ws.ws_col >> 8),
                       static_cast<char>(ws.ws_col & 0xff)};
  write_all_fd(s->get(), msg, sizeof msg);
}

// Writes the complete stdcopy frames at the front of buf to stdout/stderr and drops them.
void emit_frames(std::string& buf) {
  size_t off = 0;
  while (buf.size() - off >= 8) {
    const auto* h = reinterpret_cast<const unsigned char*>(buf.data() + off);
    size_t len = (size_t{h[4]} << 24) | (size_t{h[5]} << 16) | (size_t{h[6]} << 8) | h[7];
    if (buf.size() - off - 8 < len) break;
    write_all_fd(h[0] == 2 ? STDERR_FILENO : STDOUT_FILENO, buf.data() + off + 8, len);
    off += 8 + len;
  }
  buf.erase(0, off);
}

// Docker's default detach keys, ctrl-p ctrl-q, as a terminal sends them.
struct DetachKeys {
  std::string seq = "\x10\x11";
  size_t matched = 0;
  // True when the sequence completes within [p, p+n); the bytes before it are what to send.
  bool scan(const char* p, size_t n, size_t* send) {
    for (size_t i = 0; i < n; ++i) {
      if (p[i] == seq[matched]) {
        if (++matched == seq.size()) {
          *send = i + 1 >= seq.size() ? i + 1 - seq.size() : 0;
          return true;
        }
      } else {
        matched = p[i] == seq[0] ? 1 : 0;
      }
    }
    return false;
  }
};

}  // namespace

std::optional<Result<int>> attach_socket(engine::Engine& e, const engine::ContainerRecord& c,
                                         const AttachOptions& o) {
  std::string dir = dirname(e.container_log_path(c.id));
  auto sock = engine::connect_attach(dir);
  if (!sock.ok()) {
    if (sock.error().code() == Code::kNotFound) return std::nullopt;
    return Result<int>(sock.error());
  }
  auto conf = nlohmann::json::parse(c.config, nullptr, false);
  bool tty = !conf.is_discarded() && conf.value("Tty", false);
  const char mode = o.stdin_once && o.attach_stdin ? engine::kAttachStdinOnce : engine::kAttachKeepStdin;
  if (!write_all_fd(sock->get(), &mode, 1)) return Result<int>(sys_error("write attach socket"));
  bool in_open = o.attach_stdin;
  if (!in_open) ::shutdown(sock->get(), SHUT_WR);
  // Docker: signals are proxied unless the container has a tty (then ^C is a byte of input).
  if (o.sig_proxy && !tty) {
    g_proxy_pid = c.pid;
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2})
      std::signal(s, [](int sig) {
        if (g_proxy_pid > 0) ::kill(g_proxy_pid, sig);
      });
  }
  std::signal(SIGPIPE, SIG_IGN);
  struct termios saved {};
  bool raw = tty && in_open && ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    ::cfmakeraw(&t);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &t);
  }
  ScopeExit restore([&] {
    if (raw) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  });
  bool follow_size = tty && ::isatty(STDOUT_FILENO);
  if (follow_size) {
    struct sigaction sa {};
    sa.sa_handler = [](int) { g_winch = 1; };
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGWINCH, &sa, nullptr);  // no SA_RESTART: poll returns to send it
    send_window_size(dir);
  }
  DetachKeys keys;
  std::string pending;
  char buf[16384];
  bool input_ended = false;  // and the container's stdin stays open: detach once quiet
  bool container_done = false;
  while (true) {
    if (g_winch) {
      g_winch = 0;
      send_window_size(dir);
    }
    struct pollfd fds[2] = {{sock->get(), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    int n = ::poll(fds, in_open ? 2 : 1, input_ended ? kQuietAfterInputMs : -1);
    if (n < 0 && errno != EINTR) break;
    if (n < 0) continue;
    if (n == 0) break;  // quiet after our input ended: detached
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = ::read(sock->get(), buf, sizeof buf);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        container_done = true;  // berth-monitor closes it when the container has exited
        break;
      }
      pending.append(buf, static_cast<size_t>(r));
      emit_frames(pending);
    }
    if (in_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t r = ::read(STDIN_FILENO, buf, sizeof buf);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        in_open = false;
        ::shutdown(sock->get(), SHUT_WR);
        if (mode == engine::kAttachKeepStdin) input_ended = true;
        continue;
      }
      size_t len = static_cast<size_t>(r), send = 0;
      if (tty && keys.scan(buf, len, &send)) {
        write_all_fd(sock->get(), buf, send);
        return 0;  // detached; the container runs on
      }
      if (!write_all_fd(sock->get(), buf, len)) in_open = false;
    }
  }
  // The exit code, once berth-monitor's successor has put it on record.
  for (int i = 0; i < (container_done ? 200 : 1); ++i) {
    auto now = e.find_container(c.id);
    if (!now.ok()) return Result<int>(0);  // removed (--rm): Docker reports the code it saw
    if (now->state != "running") return Result<int>(now->exit_code);
    if (container_done) ::usleep(25000);
  }
  return Result<int>(0);
}

}  // namespace berth::cli
