// `logs`, `attach`, and following a container's output from its json-file log (also `start -a`).
#include <unistd.h>

#include <csignal>
#include <iostream>

#include "base/strings.h"
#include "cli/commands/commands.h"
#include "engine/detach_keys.h"
#include "engine/logs.h"
#include "format/units.h"
#include "image/store.h"

namespace berth::cli {
namespace {

struct LogsFlags {
  std::string name, since, until;
  std::string tail = "all";
  bool follow = false, timestamps = false;
};

Result<int64_t> log_time(const std::string& v) {
  auto t = format::parse_rfc3339_nano(v);
  if (t.ok()) return t;
  auto ms = format::parse_go_duration_ms(v);
  if (ms.ok()) return static_cast<int64_t>(std::time(nullptr)) * 1000000000 - *ms * 1000000;
  try {
    return static_cast<int64_t>(std::stoll(v)) * 1000000000;  // unix seconds
  } catch (...) {
  }
  return invalid_argument("invalid time value \"" + v + "\"");
}

void run_logs(Cli& cli, const LogsFlags& f) {
  auto eng = cli.engine();
  if (!eng.ok()) return cli.fail(eng.error());
  auto c = (*eng)->find_container(f.name);
  if (!c.ok()) return cli.fail(c.error());
  engine::ReadLogsOptions o;
  if (f.tail != "all") {
    try {
      o.tail = static_cast<size_t>(std::stoul(f.tail));
    } catch (...) {
      return cli.fail(invalid_argument("invalid value for --tail: " + f.tail));
    }
  }
  if (!f.since.empty()) {
    auto t = log_time(f.since);
    if (!t.ok()) return cli.fail(t.error());
    o.since = *t;
  }
  if (!f.until.empty()) {
    auto t = log_time(f.until);
    if (!t.ok()) return cli.fail(t.error());
    o.until = *t;
  }
  o.follow = f.follow;
  std::string id = c->id;
  engine::Engine* e = *eng;
  o.still_running = [e, id] {
    auto now = e->find_container(id);
    return now.ok() && now->state == "running";
  };
  std::cout.setf(std::ios::unitbuf);
  std::cerr.setf(std::ios::unitbuf);
  auto st = engine::read_logs((*eng)->container_log_path(c->id), o, [&](const engine::LogLine& l) {
    std::ostream& os = l.stream == "stderr" ? cli.err : cli.out;
    if (f.timestamps) os << l.time << " ";
    os << l.log;
  });
  if (!st.ok()) cli.fail(st.error());
}

volatile std::sig_atomic_t g_attach_pid = 0;

}  // namespace

// Streams a running container's output (from its json-file log, starting at `since`) until it
// exits, forwarding signals when sig_proxy, and returns its exit code. stdin is not attached:
// this is for containers created without -i, whose stdin is /dev/null (the others have
// attach.sock: commands/attach.cc).
Result<int> attach_output(engine::Engine& e, const engine::ContainerRecord& c, int64_t since,
                          bool sig_proxy, Cli& cli) {
  auto conf = nlohmann::json::parse(c.config, nullptr, false);
  if (!conf.is_discarded() && conf.contains("LogConfig") &&
      conf["LogConfig"].value("Type", "json-file") == "none")
    return failed_precondition("container " + c.name +
                               " has --log-driver none: berth attaches through its json-file log");
  if (sig_proxy) {
    g_attach_pid = c.pid;
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2})
      std::signal(s, [](int sig) {
        if (g_attach_pid > 0) ::kill(g_attach_pid, sig);
      });
  }
  engine::ReadLogsOptions o;
  o.since = since;
  o.follow = true;
  std::string id = c.id;
  o.still_running = [&e, id] {
    auto now = e.find_container(id);
    return now.ok() && now->state == "running";
  };
  std::cout.setf(std::ios::unitbuf);
  std::cerr.setf(std::ios::unitbuf);
  BERTH_TRY(engine::read_logs(e.container_log_path(c.id), o, [&](const engine::LogLine& l) {
    (l.stream == "stderr" ? cli.err : cli.out) << l.log;
  }));
  for (int i = 0; i < 200; ++i) {
    auto now = e.find_container(id);
    if (!now.ok()) return 0;  // removed (--rm): Docker reports the code it saw; berth has none
    if (now->state != "running") return now->exit_code;
    ::usleep(25000);
  }
  return 0;
}

void add_attach(CLI::App* parent, Cli& cli) {
  struct Opts {
    std::string name;
    bool no_stdin = false, sig_proxy = true;
    std::string detach_keys;
  };
  auto o = std::make_shared<Opts>();
  auto* c = parent->add_subcommand("attach", "Attach local standard output and error streams to a running container");
  c->add_flag("--no-stdin", o->no_stdin, "Do not attach STDIN");
  c->add_flag("--sig-proxy", o->sig_proxy, "Proxy all received signals to the process");
  c->add_option("--detach-keys", o->detach_keys, "Override the key sequence for detaching a container");
  c->add_option("CONTAINER", o->name, "Container")->required();
  c->callback([&cli, o] {
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    auto rec = (*eng)->find_container(o->name);
    if (!rec.ok()) return cli.fail(rec.error());
    if (rec->state != "running")
      return cli.fail(conflict("You cannot attach to a stopped container, start it first"));
    auto keys = engine::resolve_detach_keys(o->detach_keys);
    if (!keys.ok()) return cli.fail(keys.error(), 125);
    AttachOptions ao;
    ao.attach_stdin = !o->no_stdin;
    ao.sig_proxy = o->sig_proxy;
    ao.detach_keys = *keys;
    auto code = attach_socket(**eng, *rec, ao);  // a container created with -i
    if (!code) code = attach_output(**eng, *rec, image::now_nanos(), o->sig_proxy, cli);
    if (!code->ok()) return cli.fail(code->error());
    cli.exit_code = **code;
  });
}

void add_logs(CLI::App* parent, Cli& cli) {
  auto f = std::make_shared<LogsFlags>();
  auto* c = parent->add_subcommand("logs", "Fetch the logs of a container");
  c->add_flag("-f,--follow", f->follow, "Follow log output");
  c->add_option("-n,--tail", f->tail, "Number of lines to show from the end of the logs");
  c->add_flag("-t,--timestamps", f->timestamps, "Show timestamps");
  c->add_option("--since", f->since, "Show logs since timestamp or relative (e.g. 42m)");
  c->add_option("--until", f->until, "Show logs before a timestamp or relative (e.g. 42m)");
  c->add_option("CONTAINER", f->name, "Container")->required();
  c->callback([&cli, f] { run_logs(cli, *f); });
}

}  // namespace berth::cli
