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
#include "engine/detach_keys.h"
#include "engine/terminal.h"

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

// Writes the complete stdcopy frames at the front of buf to stdout/stderr and drops them; the
// monitor's last frame (kAttachExitStream) sets *exit_code instead.
void emit_frames(std::string& buf, int* exit_code) {
  size_t off = 0;
  while (buf.size() - off >= 8) {
    const auto* h = reinterpret_cast<const unsigned char*>(buf.data() + off);
    size_t len = (size_t{h[4]} << 24) | (size_t{h[5]} << 16) | (size_t{h[6]} << 8) | h[7];
    if (buf.size() - off - 8 < len) break;
    const auto* body = reinterpret_cast<const unsigned char*>(buf.data() + off + 8);
    if (h[0] == engine::kAttachExitStream) {
      if (len == 4)
        *exit_code = static_cast<int>((uint32_t{body[0]} << 24) | (uint32_t{body[1]} << 16) |
                                      (uint32_t{body[2]} << 8) | body[3]);
    } else {
      write_all_fd(h[0] == 2 ? STDERR_FILENO : STDOUT_FILENO, buf.data() + off + 8, len);
    }
    off += 8 + len;
  }
  buf.erase(0, off);
}

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
  engine::RawStdin raw(tty && in_open);
  bool follow_size = tty && ::isatty(STDOUT_FILENO);
  if (follow_size) {
    struct sigaction sa {};
    sa.sa_handler = [](int) { g_winch = 1; };
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGWINCH, &sa, nullptr);  // no SA_RESTART: poll returns to send it
    send_window_size(dir);
  }
  engine::DetachMatcher keys(o.detach_keys);
  std::string pending, send;
  int exit_frame = -1;  // the code berth-monitor sent as it finished
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
      emit_frames(pending, &exit_frame);
    }
    if (in_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t r = ::read(STDIN_FILENO, buf, sizeof buf);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        in_open = false;
        if (tty && !keys.held().empty())  // a detach prefix typed last: it was input after all
          write_all_fd(sock->get(), keys.held().data(), keys.held().size());
        ::shutdown(sock->get(), SHUT_WR);
        if (mode == engine::kAttachKeepStdin) input_ended = true;
        continue;
      }
      size_t len = static_cast<size_t>(r);
      if (!tty) {
        if (!write_all_fd(sock->get(), buf, len)) in_open = false;
        continue;
      }
      // Docker's detach keys work on a tty only. Detaching closes the socket without a
      // shutdown first: berth-monitor then leaves the container's stdin open (engine/attach.h).
      send.clear();
      bool detached = keys.feed(buf, len, send);
      if (!send.empty() && !write_all_fd(sock->get(), send.data(), send.size())) in_open = false;
      if (detached) return 0;  // the container runs on
    }
  }
  // The exit code, once berth-monitor's successor has put it on record.
  for (int i = 0; i < (container_done ? 200 : 1); ++i) {
    auto now = e.find_container(c.id);
    // Removed (--rm): the code berth-monitor sent, as Docker reports the code it saw.
    if (!now.ok()) return Result<int>(exit_frame >= 0 ? exit_frame : 0);
    if (now->state != "running") return Result<int>(now->exit_code);
    if (container_done) ::usleep(25000);
  }
  return Result<int>(0);
}

Result<int> run_tty_through_monitor(engine::Engine& e, const engine::ContainerRecord& c,
                                    const std::string& detach_keys) {
  std::string dir = dirname(e.container_log_path(c.id));
  std::string pending = engine::attach_pending_path(dir);
  (void)atomic_write_file(pending, "");  // the first output waits in the pty for us
  auto st = e.start_detached(c);
  ::unlink(pending.c_str());
  if (!st.ok()) {
    auto conf = nlohmann::json::parse(c.config, nullptr, false);
    if (!conf.is_discarded() && conf.value("AutoRemove", false))
      (void)e.remove_container(c.id, true, true);  // run --rm: nothing left behind
    return std::move(st).error();
  }
  auto now = e.find_container(c.id);
  if (!now.ok()) return std::move(now).error();
  AttachOptions ao;
  ao.stdin_once = true;  // Docker's StdinOnce for run -i: our input's end closes the container's
  ao.detach_keys = detach_keys;
  auto code = attach_socket(e, *now, ao);
  if (!code) return internal_error("container " + c.id + " has no attach socket");
  return *code;
}

}  // namespace berth::cli
