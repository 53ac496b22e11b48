// berth-monitor: the resident supervisor of one detached container (see args.h for its command
// line, docs/architecture.md "Detached containers" for the round trip).
//
// berth starts the container, then execs this program in the same process, so the container
// stays its child and monitor.pid stays right. It copies the container's output into the
// json-file log (and, for a container created with -i, to the clients of attach.sock, whose input
// goes to the container's stdin: engine/attach.h), runs the healthcheck schedule (each probe is a short-lived
// `berth health-probe`), and when the container has exited it execs berth again
// (`monitor-finish`) to record the exit and apply the restart policy. The container's zombie is
// left for that berth to reap, so its pid cannot be reused before the exit is on record.
//
// Plain C++ on libc, linked statically: one of these runs per container, and what it maps is
// what it costs (docs/benchmarks.md, "Monitor memory").
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "monitor/args.h"
#include "monitor/json_log.h"

extern char** environ;

namespace berth::monitor {
namespace {

// berth health-probe exits with this when the probe turned the container unhealthy and its
// restart policy (on-unhealthy) wants it killed (engine/health.h: kHealthProbeKill).
constexpr int kProbeKill = 3;
// A probe enforces the healthcheck's timeout itself; this much longer and it is stuck.
constexpr int64_t kProbeGraceNs = 10'000'000'000;
// After the container exited, output still buffered in the pipes is copied for at most this
// long (a process outside the container's pid namespace may hold them open for ever).
constexpr int kDrainMs = 2000;

LineBuffer g_out, g_err;  // static: their pages are touched only as far as output reaches
LogFile g_log;

// attach.sock's clients (engine/attach.h): as many as connect, as `docker attach` allows; the
// table grows on demand (a monitor nobody attaches to never allocates it).
// A client that does not take its output for this long is dropped rather than stall the
// container (whose output pipe would fill) or the log.
constexpr int kClientSendTimeoutS = 2;
// engine/attach.h's kAttachExitStream: the last frame a client gets, the exit code (u32 BE).
constexpr unsigned char kExitFrame = 4;
struct Client {
  int fd = -1;
  char mode = 0;  // 'O' (close stdin when this client's input ends) or 'K'; 0 until read
  bool input_done = false;
};
Client* g_clients = nullptr;
int g_nclients = 0;       // slots in g_clients (free ones have fd -1)
struct pollfd* g_fds = nullptr;  // poll's array: the fixed fds, then one per client slot
constexpr int kFixedFds = 7;  // up to 3 streams, signalfd, timer, listener, stdin
int g_exit_code = -1;     // the container's, as Docker reports it, once it has exited
int g_stdin = -1;         // the container's stdin: the pipe's write end, or the pty master
int g_console = -1;       // -t: the pty master, whose window size 'R' clients set
bool g_stdin_pty = false;
char g_in[4096];          // one client read; at most a pipe's free slot, so writes never block

void drop_client(Client& c) {
  close(c.fd);
  c = Client{};
}

void send_clients(unsigned char stream, const char* p, size_t n) {
  unsigned char hdr[8] = {stream, 0, 0, 0, static_cast<unsigned char>(n >> 24),
                          static_cast<unsigned char>(n >> 16), static_cast<unsigned char>(n >> 8),
                          static_cast<unsigned char>(n)};
  for (int i = 0; i < g_nclients; ++i) {
    Client& c = g_clients[i];
    if (c.fd < 0 || c.mode == 'R') continue;
    struct iovec iov[2] = {{hdr, 8}, {const_cast<char*>(p), n}};
    size_t left = 8 + n;
    int idx = 0;
    while (left > 0) {
      struct msghdr m = {};
      m.msg_iov = iov + idx;
      m.msg_iovlen = static_cast<size_t>(2 - idx);
      ssize_t w = sendmsg(c.fd, &m, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) break;
      left -= static_cast<size_t>(w);
      while (idx < 2 && static_cast<size_t>(w) >= iov[idx].iov_len) {
        w -= static_cast<ssize_t>(iov[idx].iov_len);
        ++idx;
      }
      if (idx < 2) {
        iov[idx].iov_base = static_cast<char*>(iov[idx].iov_base) + w;
        iov[idx].iov_len -= static_cast<size_t>(w);
      }
    }
    if (left > 0) drop_client(c);  // gone, or stuck past the timeout: its stream is broken
  }
}

// A free slot, doubling the table when every slot is taken; nullptr when memory is short.
Client* free_slot() {
  for (int i = 0; i < g_nclients; ++i)
    if (g_clients[i].fd < 0) return &g_clients[i];
  int n = g_nclients ? 2 * g_nclients : 4;
  auto* clients = static_cast<Client*>(realloc(g_clients, sizeof(Client) * static_cast<size_t>(n)));
  if (!clients) return nullptr;
  g_clients = clients;
  auto* fds = static_cast<struct pollfd*>(
      realloc(g_fds, sizeof(struct pollfd) * static_cast<size_t>(kFixedFds + n)));
  if (!fds) return nullptr;  // g_clients is bigger, g_nclients not yet: still consistent
  g_fds = fds;
  for (int i = g_nclients; i < n; ++i) g_clients[i] = Client{};
  Client* c = &g_clients[g_nclients];
  g_nclients = n;
  return c;
}

bool accept_client(int lfd) {
  int fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return false;
  Client* c = free_slot();
  if (!c) {
    close(fd);
    return false;
  }
  struct timeval tv = {kClientSendTimeoutS, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  c->fd = fd;
  return true;
}

void close_stdin() {
  if (g_stdin < 0) return;
  if (g_stdin_pty) {
    const char eot = 4;  // end of input, as a terminal user types it; the pty stays
    (void)!write(g_stdin, &eot, 1);
    return;
  }
  close(g_stdin);
  g_stdin = -1;
}

// The client has input (or its end) to read, and the container's stdin has room. `hup`: the
// client has closed its socket, not just ended its input with shutdown(SHUT_WR).
void client_input(Client& c, bool hup) {
  if (c.mode == 0) {
    char m = 0;
    ssize_t r = read(c.fd, &m, 1);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (r == 1 && (m == 'O' || m == 'K' || m == 'R')) {
      c.mode = m;
      return;
    }
    drop_client(c);  // not berth's protocol
    return;
  }
  if (c.mode == 'R') {  // a window size: rows and columns, big-endian u16 each; then done
    unsigned char ws[4];
    ssize_t r = read(c.fd, ws, sizeof ws);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (r == 4 && g_console >= 0) {
      struct winsize w = {};
      w.ws_row = static_cast<unsigned short>(ws[0] << 8 | ws[1]);
      w.ws_col = static_cast<unsigned short>(ws[2] << 8 | ws[3]);
      if (w.ws_row && w.ws_col) ioctl(g_console, TIOCSWINSZ, &w);  // the kernel sends SIGWINCH
    }
    drop_client(c);
    return;
  }
  ssize_t r = read(c.fd, g_in, sizeof g_in);
  if (r < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (r <= 0) {
    c.input_done = true;
    // Docker's StdinOnce (start -ai, run -it): the client's input ended (it shut its side
    // down). A client that closed outright typed the detach keys and left: stdin stays open.
    if (c.mode == 'O' && !hup) close_stdin();
    return;
  }
  if (g_stdin < 0) return;  // closed by an earlier StdinOnce client: the bytes go nowhere
  size_t off = 0;
  while (off < static_cast<size_t>(r)) {
    ssize_t w = write(g_stdin, g_in + off, static_cast<size_t>(r) - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;  // the container closed its stdin
    off += static_cast<size_t>(w);
  }
}

int64_t monotonic_ms() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void arm(int tfd, int64_t ns) {
  struct itimerspec it = {};
  it.it_value.tv_sec = ns / 1000000000;
  it.it_value.tv_nsec = ns % 1000000000;
  if (it.it_value.tv_sec == 0 && it.it_value.tv_nsec == 0) it.it_value.tv_nsec = 1;
  timerfd_settime(tfd, 0, &it, nullptr);
}

void unblock_signals() {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

pid_t start_probe(const Args& a) {
  char pid[24];
  format_decimal(a.pid, pid);
  const char* argv[] = {a.berth, "--root", a.root, "--runroot", a.runroot, "health-probe",
                        a.id, "--pid", pid, nullptr};
  pid_t p = fork();
  if (p == 0) {
    unblock_signals();
    execve(a.berth, const_cast<char* const*>(argv), environ);
    _exit(127);
  }
  return p;
}

// Container exited (a zombie, not reaped)? Then g_exit_code is its code as Docker gives it.
bool container_exited(pid_t pid) {
  siginfo_t info = {};
  if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) < 0)
    return errno == ECHILD;  // not ours any more: nothing left to wait for
  if (info.si_pid != pid) return false;
  g_exit_code = info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
  return true;
}

struct Stream {
  int fd;
  LineBuffer* buf;
  unsigned char id;  // stdcopy's stream: 1 stdout (or the pty), 2 stderr
};

// Reads once from s; false at its end (EOF, or EIO from a pty whose other side is closed).
bool pump(Stream& s) {
  LineBuffer& b = *s.buf;
  ssize_t r = read(s.fd, b.buf + b.len, kMaxLine - b.len);
  if (r < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (r <= 0) return false;
  send_clients(s.id, b.buf + b.len, static_cast<size_t>(r));
  if (g_log.fd < 0) {
    b.len = 0;  // no log (--log-driver none): the bytes go nowhere
    return true;
  }
  b.len += static_cast<size_t>(r);
  emit_lines(b, g_log, false);
  return true;
}

// To stderr (berth gives the monitor /dev/null; a person running it by hand sees it).
void say(const char* a, const char* b = "") {
  (void)!write(2, a, strlen(a));
  (void)!write(2, b, strlen(b));
  (void)!write(2, "\n", 1);
}

[[noreturn]] void finish(const Args& a) {
  if (g_log.fd >= 0) {
    emit_lines(g_out, g_log, true);
    emit_lines(g_err, g_log, true);
  }
  // Attached clients get the exit code (a `run -it --rm` client finds no record to read it
  // from), then see their socket close with this exec (their fds are close-on-exec).
  if (g_exit_code >= 0) {
    unsigned char code[4] = {static_cast<unsigned char>(g_exit_code >> 24),
                             static_cast<unsigned char>(g_exit_code >> 16),
                             static_cast<unsigned char>(g_exit_code >> 8),
                             static_cast<unsigned char>(g_exit_code)};
    send_clients(kExitFrame, reinterpret_cast<const char*>(code), sizeof code);
  }
  if (a.attach_path) unlink(a.attach_path);
  unblock_signals();
  const char* argv[] = {a.berth, "--root", a.root, "--runroot", a.runroot, "monitor-finish",
                        a.id, "--restarts", a.restarts, "--delay-ms", a.delay_ms, nullptr};
  execve(a.berth, const_cast<char* const*>(argv), environ);
  // Nothing records the exit now: ps says "Exited (255)" once this process is gone, as after a
  // crash of the monitor.
  say("berth-monitor: cannot exec ", a.berth);
  _exit(1);
}

int run(const Args& a) {
  signal(SIGHUP, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  // Nothing inherited (the fds named on the command line included) passes into the probes or
  // the next exec of berth.
  syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, nullptr);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) return 1;

  if (a.log_fd >= 0) {
    g_log.fd = a.log_fd;
    g_log.path = a.log_path;
    g_log.max_size = static_cast<uint64_t>(a.max_size);
    g_log.max_files = a.max_files;
    struct stat st;
    g_log.size = fstat(a.log_fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  }
  g_out.name = "stdout";
  g_err.name = "stderr";
  Stream streams[2];
  int nstreams = 0;
  if (a.console_fd >= 0) streams[nstreams++] = {a.console_fd, &g_out, 1};
  if (a.out_fd >= 0) streams[nstreams++] = {a.out_fd, &g_out, 1};
  if (a.err_fd >= 0) streams[nstreams++] = {a.err_fd, &g_err, 2};
  if (a.attach_fd >= 0) {
    g_stdin = a.stdin_fd >= 0 ? a.stdin_fd : a.console_fd;
    g_stdin_pty = a.stdin_fd < 0;
    g_console = a.console_fd;
  }

  int tfd = -1;
  if (a.health_interval_ns > 0) {
    tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (tfd >= 0) arm(tfd, a.health_interval_ns);
  }
  pid_t probe = -1;
  bool probing = tfd >= 0;  // until the container is killed as unhealthy
  bool exited = false;
  int64_t exited_at = 0;
  int64_t hold_until = a.attach_fd >= 0 && a.wait_attach_ms > 0 ? monotonic_ms() + a.wait_attach_ms : 0;

  while (true) {
    if (probe > 0) {
      int status = 0;
      if (waitpid(probe, &status, WNOHANG) == probe) {
        probe = -1;
        if (WIFEXITED(status) && WEXITSTATUS(status) == kProbeKill) {
          probing = false;  // the probe wrote killed-unhealthy; the exit goes on record
          if (!exited) kill(a.pid, SIGKILL);
        } else if (probing) {
          arm(tfd, a.health_interval_ns);
        }
      }
    }
    if (!exited && container_exited(a.pid)) {
      exited = true;
      exited_at = monotonic_ms();
    }
    int open_streams = 0;
    for (int i = 0; i < nstreams; ++i) open_streams += streams[i].fd >= 0;
    bool holding = hold_until > 0 && monotonic_ms() < hold_until;
    if (hold_until > 0 && !holding) {
      hold_until = 0;
      if (exited) exited_at = monotonic_ms();  // the drain starts now
    }
    int timeout = -1;
    if (holding) {
      timeout = static_cast<int>(hold_until - monotonic_ms());
    } else if (exited) {
      timeout = static_cast<int>(kDrainMs - (monotonic_ms() - exited_at));
      if (open_streams == 0 || timeout <= 0) break;
    }
    // Client input is read only while the container's stdin has room (or is closed: then it
    // is read and dropped), so that a container not reading its stdin never blocks this loop.
    bool stdin_room = true;
    if (g_stdin >= 0) {
      struct pollfd p = {g_stdin, POLLOUT, 0};
      stdin_room = poll(&p, 1, 0) == 1 && (p.revents & POLLOUT);
    }
    struct pollfd fixed[kFixedFds];
    struct pollfd* fds = g_fds ? g_fds : fixed;  // the clients' slots follow the fixed ones
    int n = 0;
    for (int i = 0; i < nstreams; ++i) fds[n++] = {holding ? -1 : streams[i].fd, POLLIN, 0};
    fds[n++] = {sfd, POLLIN, 0};
    int tfd_at = tfd >= 0 ? n : -1;
    if (tfd >= 0) fds[n++] = {tfd, POLLIN, 0};
    int listen_at = a.attach_fd >= 0 && (!exited || holding) ? n : -1;
    if (listen_at >= 0) fds[n++] = {a.attach_fd, POLLIN, 0};
    if (g_stdin >= 0 && !stdin_room) fds[n++] = {g_stdin, POLLOUT, 0};  // wakes when it has
    int clients_at = n;
    for (int i = 0; i < g_nclients; ++i) {
      const Client& c = g_clients[i];
      short ev = c.fd >= 0 && !c.input_done && stdin_room ? POLLIN : 0;
      fds[n++] = {c.fd, ev, 0};  // fd -1: ignored; events 0: still reports a hang-up
    }
    int ready = poll(fds, static_cast<nfds_t>(n), timeout);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    for (int i = 0; i < nstreams; ++i) {
      if (holding || streams[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      if (!pump(streams[i])) {
        close(streams[i].fd);
        streams[i].fd = -1;
      }
    }
    if (fds[nstreams].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si) {
      }
    }
    for (int i = 0; i < g_nclients; ++i) {
      Client& c = g_clients[i];
      short rev = fds[clients_at + i].revents;
      if (c.fd < 0 || !rev) continue;
      if (!c.input_done && (rev & (POLLIN | POLLHUP | POLLERR))) client_input(c, rev & POLLHUP);
      if (c.fd >= 0 && c.input_done && (rev & (POLLHUP | POLLERR))) drop_client(c);
    }
    if (tfd_at >= 0 && (fds[tfd_at].revents & POLLIN)) {
      uint64_t ticks;
      (void)!read(tfd, &ticks, sizeof ticks);
      if (probe > 0) {
        kill(probe, SIGKILL);  // stuck past its timeout; reaped above, then rescheduled
      } else if (probing && !exited) {
        probe = start_probe(a);
        if (probe > 0) arm(tfd, a.health_timeout_ns + kProbeGraceNs);
        else arm(tfd, a.health_interval_ns);
      }
    }
    // Last: a new client may grow the table, which moves g_fds (and fds with it).
    if (listen_at >= 0 && (fds[listen_at].revents & POLLIN) && accept_client(a.attach_fd))
      hold_until = 1;  // the client is there: the held output goes to it now (drain restarts)
  }
  if (probe > 0) {  // the container is gone: its probe has nothing left to check
    kill(probe, SIGKILL);
    while (waitpid(probe, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  finish(a);
}

}  // namespace
}  // namespace berth::monitor

int main(int argc, char** argv) {
  berth::monitor::Args a;
  if (const char* err = berth::monitor::parse_args(argc, argv, a)) {
    berth::monitor::say("berth-monitor: ", err);
    return 2;
  }
  return berth::monitor::run(a);
}
