#include "network/proxy.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <list>
#include <memory>
#include <set>

namespace berth::network {
namespace {

constexpr size_t kBufSize = 64 * 1024;
constexpr size_t kMaxConns = 4096;     // each holds two descriptors and two buffers
constexpr time_t kUdpIdleSeconds = 60;

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

time_t now_s() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec;
}

// One direction of a TCP connection: what was read from one side and not yet written to the other.
struct Dir {
  std::unique_ptr<char[]> buf = std::make_unique<char[]>(kBufSize);
  size_t len = 0, off = 0;
  bool eof = false;   // the reading side closed its half
  bool done = false;  // ... and the writing side has been shut down after the rest was sent
  bool pending() const { return off < len; }
};

struct Conn {
  UniqueFd client, backend;
  bool connecting = true;
  bool failed = false;
  Dir up, down;  // client -> backend, backend -> client
};

// Reads into `d` when it is empty, writes what it holds; false on an error of either side.
bool pump(int from, int to, Dir& d) {
  if (!d.pending() && !d.eof) {
    ssize_t n = ::recv(from, d.buf.get(), kBufSize, 0);
    if (n > 0) {
      d.len = static_cast<size_t>(n);
      d.off = 0;
    } else if (n == 0) {
      d.eof = true;
    } else if (errno != EAGAIN && errno != EINTR) {
      return false;
    }
  }
  if (d.pending()) {
    ssize_t n = ::send(to, d.buf.get() + d.off, d.len - d.off, MSG_NOSIGNAL);
    if (n > 0) {
      d.off += static_cast<size_t>(n);
      if (d.off == d.len) d.off = d.len = 0;
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return false;
    }
  }
  if (d.eof && !d.pending() && !d.done) {
    ::shutdown(to, SHUT_WR);
    d.done = true;
  }
  return true;
}

struct UdpSession {
  size_t route = 0;
  sockaddr_storage client{};
  socklen_t client_len = 0;
  UniqueFd fd;  // connected to the route's target
  time_t last = 0;
};

}  // namespace

void run_proxy(std::vector<ProxyRoute>& routes, int stop_fd) {
  for (auto& r : routes) set_nonblocking(r.listener.get());
  std::list<Conn> conns;
  std::list<UdpSession> sessions;
  auto dgram = std::make_unique<char[]>(kBufSize);
  // What each pollfd stands for.
  enum Kind { kStop, kListener, kClient, kBackend, kSession };
  struct Ref {
    Kind kind;
    size_t route = 0;
    Conn* conn = nullptr;
    UdpSession* session = nullptr;
  };
  std::vector<pollfd> pfds;
  std::vector<Ref> refs;
  for (;;) {
    pfds.clear();
    refs.clear();
    if (stop_fd >= 0) {
      pfds.push_back({stop_fd, POLLIN, 0});
      refs.push_back({kStop});
    }
    for (size_t i = 0; i < routes.size(); ++i) {
      // A full connection table stops accepting (the kernel's backlog holds the rest).
      if (!routes[i].udp && conns.size() >= kMaxConns) continue;
      pfds.push_back({routes[i].listener.get(), POLLIN, 0});
      refs.push_back({kListener, i});
    }
    for (auto& c : conns) {
      short ce = 0, be = 0;
      if (c.connecting) {
        be = POLLOUT;
      } else {
        if (!c.up.pending() && !c.up.eof) ce |= POLLIN;
        if (c.down.pending()) ce |= POLLOUT;
        if (!c.down.pending() && !c.down.eof) be |= POLLIN;
        if (c.up.pending()) be |= POLLOUT;
      }
      // A side with nothing to wait for is left out (-1): a closed socket would report POLLHUP
      // at every turn and spin the loop.
      pfds.push_back({ce ? c.client.get() : -1, ce, 0});
      refs.push_back({kClient, 0, &c});
      pfds.push_back({be ? c.backend.get() : -1, be, 0});
      refs.push_back({kBackend, 0, &c});
    }
    for (auto& s : sessions) {
      pfds.push_back({s.fd.get(), POLLIN, 0});
      refs.push_back({kSession, s.route, nullptr, &s});
    }
    int timeout = sessions.empty() ? -1 : 5000;
    int n = ::poll(pfds.data(), pfds.size(), timeout);
    if (n < 0 && errno != EINTR) return;
    std::set<Conn*> touched;
    for (size_t i = 0; n > 0 && i < pfds.size(); ++i) {
      if (!pfds[i].revents) continue;
      const Ref& ref = refs[i];
      switch (ref.kind) {
        case kStop:
          return;
        case kListener: {
          ProxyRoute& r = routes[ref.route];
          if (r.udp) {
            sockaddr_storage from{};
            socklen_t flen = sizeof from;
            ssize_t got = ::recvfrom(r.listener.get(), dgram.get(), kBufSize, 0,
                                     reinterpret_cast<sockaddr*>(&from), &flen);
            if (got < 0) break;
            UdpSession* s = nullptr;
            for (auto& x : sessions)
              if (x.route == ref.route && x.client_len == flen && std::memcmp(&x.client, &from, flen) == 0)
                s = &x;
            if (!s) {
              UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
              if (!fd || ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&r.target), sizeof r.target) < 0)
                break;
              sessions.push_back({ref.route, from, flen, std::move(fd), 0});
              s = &sessions.back();
            }
            s->last = now_s();
            (void)::send(s->fd.get(), dgram.get(), static_cast<size_t>(got), MSG_NOSIGNAL);
            break;
          }
          while (conns.size() < kMaxConns) {
            UniqueFd client(::accept4(r.listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
            if (!client) break;
            UniqueFd backend(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
            if (!backend) continue;
            int rc = ::connect(backend.get(), reinterpret_cast<const sockaddr*>(&r.target), sizeof r.target);
            if (rc < 0 && errno != EINPROGRESS) continue;  // the client sees its connection closed
            conns.emplace_back();
            conns.back().client = std::move(client);
            conns.back().backend = std::move(backend);
            conns.back().connecting = rc < 0;
          }
          break;
        }
        case kClient:
        case kBackend:
          touched.insert(ref.conn);
          break;
        case kSession: {
          UdpSession& s = *ref.session;
          ssize_t got = ::recv(s.fd.get(), dgram.get(), kBufSize, 0);
          if (got < 0) break;
          s.last = now_s();
          (void)::sendto(routes[s.route].listener.get(), dgram.get(), static_cast<size_t>(got),
                         MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&s.client), s.client_len);
          break;
        }
      }
    }
    for (Conn* c : touched) {
      if (c->connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(c->backend.get(), SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          c->failed = true;
          continue;
        }
        c->connecting = false;
      }
      if (!pump(c->client.get(), c->backend.get(), c->up) ||
          !pump(c->backend.get(), c->client.get(), c->down))
        c->failed = true;
    }
    conns.remove_if([](const Conn& c) { return c.failed || (c.up.done && c.down.done); });
    time_t t = now_s();
    sessions.remove_if([t](const UdpSession& s) { return t - s.last > kUdpIdleSeconds; });
  }
}

namespace {

// In the forked child: closes every descriptor but `keep` (and 0-2, pointed at /dev/null).
void close_all_but(const std::set<int>& keep) {
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    for (int fd = 0; fd < 3; ++fd)
      if (!keep.count(fd)) ::dup2(null, fd);
    if (null > 2 && !keep.count(null)) ::close(null);
  }
  std::vector<int> open_fds;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    int own = ::dirfd(d);
    while (auto* ent = ::readdir(d)) {
      int fd = std::atoi(ent->d_name);
      if (ent->d_name[0] != '.' && fd > 2 && fd != own) open_fds.push_back(fd);
    }
    ::closedir(d);
  } else {
    for (int fd = 3; fd < 65536; ++fd) open_fds.push_back(fd);
  }
  for (int fd : open_fds)
    if (!keep.count(fd)) ::close(fd);
}

}  // namespace

Result<UserlandProxy> UserlandProxy::start(std::vector<ProxyRoute> routes) {
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return sys_error("starting the userland proxy (fork)");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(0);  // the supervisor died before the line above
    ::prctl(PR_SET_NAME, "berth-proxy");
    // Out of the supervisor's process group: a Ctrl-C at `berth run`'s terminal is for the
    // container (forwarded by the CLI), not for its proxy.
    ::setpgid(0, 0);
    for (int sig = 1; sig < NSIG; ++sig)
      if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
    ::signal(SIGPIPE, SIG_IGN);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    std::set<int> keep;
    for (const auto& r : routes) keep.insert(r.listener.get());
    close_all_but(keep);
    run_proxy(routes, -1);
    ::_exit(0);
  }
  return UserlandProxy(pid);  // `routes` closes the supervisor's copies of the listeners
}

UserlandProxy::~UserlandProxy() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace berth::network
