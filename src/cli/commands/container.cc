// `run` / `create`, `rm`, `stop`, `kill`, `container prune`, `start` / `wait` / `restart`, and
// the registration of every container command (ps.cc, logs.cc, container_fs.cc, ... add theirs).
#include <unistd.h>

#include <csignal>
#include <ctime>
#include <map>

#include "base/fs.h"
#include "base/strings.h"
#include "cli/commands/commands.h"
#include "engine/attach.h"
#include "engine/detach_keys.h"
#include "engine/exec.h"
#include "engine/logs.h"
#include "format/units.h"
#include "runtime/cgroup.h"
#include "runtime/launcher.h"
#include "runtime/signals.h"
#include "runtime/spec.h"

namespace berth::cli {
Result<int64_t> size_flag(const std::string& flag, const std::string& v) {
  if (v == "-1") return -1;
  auto r = format::parse_ram_size(v);
  if (!r.ok()) return invalid_argument("invalid argument \"" + v + "\" for \"" + flag + "\" flag: " +
                                       r.error().message());
  return r;
}

namespace {

struct RunFlags {
  engine::RunRequest req;
  std::string memory, memory_swap, shm_size, cpus, user, workdir, hostname;
  std::optional<std::string> entrypoint;
  bool tty = false, detach = false, create_only = false;
  int64_t pids_limit = 0, cpu_shares = 0;
  std::vector<std::string> env_files, label_files, sysctls;
  std::string cidfile, ipc, pid, uts, pull = "missing";
  std::string health_cmd, health_interval, health_timeout, health_start_period;
  int health_retries = 0;
  bool no_healthcheck = false;
  std::string detach_keys;  // --detach-keys (run -it)
};

// --label-file: KEY=VALUE lines (a bare KEY is a label with no value); "#" comments and blank
// lines skipped.
Result<std::vector<std::string>> read_label_file(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(auto text, read_file(path));
  std::vector<std::string> out;
  for (const auto& raw : split(text, '\n')) {
    std::string line(trim(raw));
    if (!line.empty() && line[0] != '#') out.push_back(line);
  }
  return out;
}

Result<int64_t> duration_flag(const std::string& flag, const std::string& v) {
  if (v.empty()) return 0;
  auto ns = format::parse_go_duration_ns(v);
  if (!ns.ok() || *ns < 0)
    return invalid_argument("invalid argument \"" + v + "\" for \"" + flag +
                            "\" flag: time: invalid duration \"" + v + "\"");
  return *ns;
}


Status fill_options(RunFlags& f) {
  auto& o = f.req.options;
  if (!f.memory.empty()) { BERTH_ASSIGN_OR_RETURN(o.memory, size_flag("-m, --memory", f.memory)); }
  if (!f.memory_swap.empty()) {
    BERTH_ASSIGN_OR_RETURN(o.memory_swap, size_flag("--memory-swap", f.memory_swap));
  }
  if (!f.shm_size.empty()) {
    BERTH_ASSIGN_OR_RETURN(o.shm_size, size_flag("--shm-size", f.shm_size));
  }
  if (!f.cpus.empty()) { BERTH_ASSIGN_OR_RETURN(o.nano_cpus, runtime::parse_cpus(f.cpus)); }
  if (f.pids_limit != 0) o.pids_limit = f.pids_limit;
  o.cpu_shares = f.cpu_shares;
  o.user = f.user;
  o.working_dir = f.workdir;
  o.hostname = f.hostname;
  if (f.entrypoint) o.entrypoint = std::vector<std::string>{*f.entrypoint};
  o.host_cpus = runtime::host_cpu_count();
  std::vector<std::string> env;
  for (const auto& p : f.env_files) {
    BERTH_ASSIGN_OR_RETURN(auto kv, engine::read_env_file(p));
    env.insert(env.end(), kv.begin(), kv.end());
  }
  o.env.insert(o.env.begin(), env.begin(), env.end());  // -e wins over the files
  std::vector<std::string> labels;
  for (const auto& p : f.label_files) {
    BERTH_ASSIGN_OR_RETURN(auto kv, read_label_file(p));
    labels.insert(labels.end(), kv.begin(), kv.end());
  }
  f.req.labels.insert(f.req.labels.begin(), labels.begin(), labels.end());
  auto ns_flag = [&](const std::string& flag, const std::string& v, bool* host) -> Status {
    if (v.empty() || v == "private" || (flag == "--ipc" && (v == "shareable" || v == "none"))) return {};
    if (flag != "--uts" && v.rfind("container:", 0) == 0 && v.size() > 10) {  // engine/ns_join.h
      (flag == "--ipc" ? f.req.ipc_mode : f.req.pid_mode) = v;
      return {};
    }
    if (v == "host") {
      *host = true;
      return {};
    }
    return invalid_argument("invalid " + flag.substr(2) + " mode \"" + v + "\" (berth supports host" +
                            (flag == "--uts" ? "" : ", container:<name|id>") + " and private)");
  };
  for (const auto& kv : f.sysctls) {  // --sysctl KEY=VALUE; the runtime checks the keys
    auto [key, value, found] = split_once(kv, '=');
    if (!found || key.empty())
      return invalid_argument("invalid argument \"" + kv + "\" for \"--sysctl\" flag: " + kv +
                              " is not a valid sysctl value");
    o.sysctls[key] = value;
  }
  BERTH_TRY(ns_flag("--ipc", f.ipc, &o.host_ipc));
  BERTH_TRY(ns_flag("--pid", f.pid, &o.host_pid));
  BERTH_TRY(ns_flag("--uts", f.uts, &o.host_uts));
  if (f.no_healthcheck) {
    if (!f.health_cmd.empty())
      return invalid_argument("--no-healthcheck conflicts with --health-* options");
    f.req.healthcheck = oci::HealthConfig{{"NONE"}, 0, 0, 0, 0, 0};
  } else if (!f.health_cmd.empty() || !f.health_interval.empty() || !f.health_timeout.empty() ||
             !f.health_start_period.empty() || f.health_retries != 0) {
    oci::HealthConfig h;
    if (!f.health_cmd.empty()) h.test = {"CMD-SHELL", f.health_cmd};
    BERTH_ASSIGN_OR_RETURN(h.interval, duration_flag("--health-interval", f.health_interval));
    BERTH_ASSIGN_OR_RETURN(h.timeout, duration_flag("--health-timeout", f.health_timeout));
    BERTH_ASSIGN_OR_RETURN(h.start_period,
                           duration_flag("--health-start-period", f.health_start_period));
    if (f.health_retries < 0) return invalid_argument("--health-retries cannot be negative");
    h.retries = f.health_retries;
    f.req.healthcheck = h;
  }
  return {};
}

void run_run(Cli& cli, RunFlags& f, const std::vector<std::string>& rest) {
  if (rest.empty()) {
    cli.err << "\"berth run\" requires at least 1 argument.\nSee 'berth run --help'.\n";
    cli.exit_code = 125;
    return;
  }
  f.req.options.tty = f.tty;
  f.req.image = rest[0];
  f.req.options.command.assign(rest.begin() + 1, rest.end());
  auto st = fill_options(f);
  if (!st.ok()) return cli.fail(st.error(), 125);
  // run -it attaches through berth-monitor (commands/attach.cc): the keys are checked first.
  bool tty_attach = f.tty && f.req.interactive && !f.detach && !f.create_only;
  Result<std::string> detach_keys = std::string();
  if (tty_attach) detach_keys = engine::resolve_detach_keys(f.detach_keys);
  if (!detach_keys.ok()) return cli.fail(detach_keys.error(), 125);
  auto eng = cli.engine();
  if (!eng.ok()) return cli.fail(eng.error(), 125);
  if (!f.cidfile.empty() && path_exists(f.cidfile))
    return cli.fail(invalid_argument("Container ID file found, make sure the other container isn't "
                                     "running or delete " + f.cidfile), 125);
  if (f.pull != "missing" && f.pull != "always" && f.pull != "never")
    return cli.fail(invalid_argument("invalid pull option: '" + f.pull +
                                     "': must be one of \"always\", \"missing\" or \"never\""), 125);
  if (f.pull != "never") {
    auto img = (*eng)->store().resolve(f.req.image);
    bool missing = !img.ok() && img.error().code() == Code::kNotFound;
    if (missing || f.pull == "always") {
      auto st = pull_missing_image(cli, **eng, f.req.image);
      if (!st.ok()) return cli.fail(st.error(), 125);
    }
  }
  auto c = (*eng)->create_container(f.req);
  if (!c.ok()) return cli.fail(c.error(), 125);
  if (!f.cidfile.empty()) {
    auto w = atomic_write_file(f.cidfile, c->id);
    if (!w.ok()) return cli.fail(w.error(), 125);
  }
  if (f.create_only) {
    cli.out << c->id << "\n";
    return;
  }
  if (f.detach) {
    auto st = (*eng)->start_detached(*c);
    if (!st.ok()) return cli.fail(st.error(), runtime::exit_code_for(st.error()));
    cli.out << c->id << "\n";
    return;
  }
  auto code = tty_attach ? run_tty_through_monitor(**eng, *c, *detach_keys)
                         : (*eng)->run_attached(*c, f.req);
  if (!code.ok()) return cli.fail(code.error(), runtime::exit_code_for(code.error()));
  cli.exit_code = *code;
}

}  // namespace

void add_run(CLI::App* parent, Cli& cli, bool create_only) {
  auto f = std::make_shared<RunFlags>();
  f->create_only = create_only;
  auto* c = create_only ? parent->add_subcommand("create", "Create a new container")
                        : parent->add_subcommand("run", "Create and run a new container from an image");
  // Docker stops reading flags at the image: what follows is the container's command.
  c->prefix_command();
  c->set_help_flag("--help", "Print usage");  // -h is --hostname here, as in Docker
  auto& r = f->req;
  auto& o = r.options;
  c->add_flag("--rm", r.remove, "Automatically remove the container when it exits");
  c->add_option("--name", r.name, "Assign a name to the container");
  c->add_flag("-i,--interactive", r.interactive, "Keep STDIN open");
  c->add_flag("-t,--tty", f->tty, "Allocate a pseudo-TTY");
  c->add_flag("-d,--detach", f->detach, "Run container in background");
  c->add_option("-e,--env", o.env, "Set environment variables")->allow_extra_args(false);
  c->add_option("-w,--workdir", f->workdir, "Working directory inside the container");
  c->add_option("-u,--user", f->user, "Username or UID (format: <name|uid>[:<group|gid>])");
  c->add_option("--group-add", o.group_add, "Add additional groups to join")->allow_extra_args(false);
  c->add_option("--entrypoint", f->entrypoint, "Overwrite the default ENTRYPOINT of the image");
  c->add_option("-h,--hostname", f->hostname, "Container host name");
  c->add_option("-l,--label", r.labels, "Set meta data on a container")->allow_extra_args(false);
  c->add_option("--network,--net", r.network, "Connect a container to a network");
  add_network_run_flags(c, r);
  c->add_flag("--read-only", o.read_only, "Mount the container's root filesystem as read only");
  c->add_flag("--privileged", o.privileged, "Give extended privileges to this container");
  c->add_option("--cap-add", r.cap_add, "Add Linux capabilities")->allow_extra_args(false);
  c->add_option("--cap-drop", r.cap_drop, "Drop Linux capabilities")->allow_extra_args(false);
  c->add_option("--security-opt", r.security_opts, "Security Options")->allow_extra_args(false);
  c->add_option("--ulimit", o.ulimits, "Ulimit options")->allow_extra_args(false);
  c->add_option("--shm-size", f->shm_size, "Size of /dev/shm");
  c->add_option("-m,--memory", f->memory, "Memory limit");
  c->add_option("--memory-swap", f->memory_swap, "Swap limit equal to memory plus swap: '-1' to enable unlimited swap");
  c->add_option("--cpus", f->cpus, "Number of CPUs");
  c->add_option("-c,--cpu-shares", f->cpu_shares, "CPU shares (relative weight)");
  c->add_option("--cpuset-cpus", o.cpuset_cpus, "CPUs in which to allow execution (0-3, 0,1)");
  c->add_option("--pids-limit", f->pids_limit, "Tune container pids limit (set -1 for unlimited)");
  c->add_option("-v,--volume", r.volumes, "Bind mount a volume")->allow_extra_args(false);
  c->add_option("--mount", r.mounts, "Attach a filesystem mount to the container")
      ->allow_extra_args(false);
  c->add_option("--tmpfs", o.tmpfs, "Mount a tmpfs directory")->allow_extra_args(false);
  c->add_option("--device", o.devices, "Add a host device to the container")->allow_extra_args(false);
  c->add_option("--restart", r.restart, "Restart policy to apply when a container exits");
  c->add_option("--runtime", r.runtime, "Runtime to use for this container");
  c->add_option("--gpus", r.gpus, "GPU devices to add to the container ('all' to pass all GPUs)");
  c->add_option("--log-driver", r.log_driver, "Logging driver for the container (json-file, none)");
  c->add_option("--log-opt", r.log_opts, "Log driver options (max-size, max-file)")
      ->allow_extra_args(false);
  c->add_option("--env-file", f->env_files, "Read in a file of environment variables")->allow_extra_args(false);
  c->add_option("--label-file", f->label_files, "Read in a line delimited file of labels")->allow_extra_args(false);
  c->add_option("--cidfile", f->cidfile, "Write the container ID to the file");
  if (!create_only) c->add_option("--detach-keys", f->detach_keys, "Override the key sequence for detaching a container");
  c->add_option("--pull", f->pull, "Pull image before running (\"always\", \"missing\", \"never\")");
  c->add_option("--ipc", f->ipc, "IPC mode to use (host, private)");
  c->add_option("--pid", f->pid, "PID namespace to use (host, private)");
  c->add_option("--uts", f->uts, "UTS namespace to use (host)");
  c->add_option("--sysctl", f->sysctls, "Sysctl options (KEY=VALUE)")->allow_extra_args(false);
  c->add_option("--userns", r.userns, "User namespace to use (host, auto[:size=N]: ids of its own)");
  c->add_flag("--init", r.init, "Run an init inside the container that forwards signals and reaps processes");
  c->add_flag("--sig-proxy", r.sig_proxy, "Proxy received signals to the process");
  c->add_option("--stop-signal", r.stop_signal, "Signal to stop the container");
  c->add_option("--stop-timeout", r.stop_timeout, "Timeout (in seconds) to stop a container");
  c->add_option("--health-cmd", f->health_cmd, "Command to run to check health");
  c->add_option("--health-interval", f->health_interval, "Time between running the check (ms|s|m|h)");
  c->add_option("--health-timeout", f->health_timeout, "Maximum time to allow one check to run (ms|s|m|h)");
  c->add_option("--health-start-period", f->health_start_period, "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h)");
  c->add_option("--health-retries", f->health_retries, "Consecutive failures needed to report unhealthy");
  c->add_flag("--no-healthcheck", f->no_healthcheck, "Disable any container-specified HEALTHCHECK");
  c->callback([&cli, f, c] { run_run(cli, *f, c->remaining()); });
}

void add_rm(CLI::App* parent, Cli& cli) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  auto volumes = std::make_shared<bool>(false);
  auto* c = parent->add_subcommand("rm", "Remove one or more containers");
  c->add_flag("-f,--force", *force, "Force the removal of a running container (uses SIGKILL)");
  c->add_flag("-v,--volumes", *volumes, "Remove anonymous volumes associated with the container");
  c->add_option("CONTAINER", *names, "Containers")->required();
  c->callback([&cli, names, force, volumes] {
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    for (const auto& n : *names) {
      auto st = (*eng)->remove_container(n, *force, *volumes);
      if (st.ok()) cli.out << n << "\n";
      else cli.fail(st.error());
    }
  });
}

void add_stop_kill(CLI::App* parent, Cli& cli) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto timeout = std::make_shared<std::optional<int>>();
  auto* stop = parent->add_subcommand("stop", "Stop one or more running containers");
  stop->add_option("-t,--time,--timeout", *timeout, "Seconds to wait before killing the container");
  stop->add_option("CONTAINER", *names, "Containers")->required();
  stop->callback([&cli, names, timeout] {
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    for (const auto& n : *names) {
      auto st = (*eng)->stop_container(n, *timeout);
      if (st.ok()) cli.out << n << "\n";
      else cli.fail(st.error());
    }
  });
  auto knames = std::make_shared<std::vector<std::string>>();
  auto sig = std::make_shared<std::string>("KILL");
  auto* kill = parent->add_subcommand("kill", "Kill one or more running containers");
  kill->add_option("-s,--signal", *sig, "Signal to send to the container");
  kill->add_option("CONTAINER", *knames, "Containers")->required();
  kill->callback([&cli, knames, sig] {
    auto s = runtime::parse_signal(*sig);
    if (!s.ok()) return cli.fail(s.error());
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    for (const auto& n : *knames) {
      auto st = (*eng)->kill_container(n, *s);
      if (st.ok()) cli.out << n << "\n";
      else cli.fail(st.error());
    }
  });
}

void add_container_prune(CLI::App* parent, Cli& cli) {
  auto force = std::make_shared<bool>(false);
  auto* c = parent->add_subcommand("prune", "Remove all stopped containers");
  c->add_flag("-f,--force", *force, "Do not prompt for confirmation");
  c->callback([&cli, force] {
    if (!*force && !cli.confirm("WARNING! This will remove all stopped containers.")) return;
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    auto ids = (*eng)->prune_containers();
    if (!ids.ok()) return cli.fail(ids.error());
    if (!ids->empty()) {
      cli.out << "Deleted Containers:\n";
      for (const auto& id : *ids) cli.out << id << "\n";
      cli.out << "\n";
    }
    cli.out << "Total reclaimed space: 0B\n";
  });
}

void add_start_wait_restart(CLI::App* parent, Cli& cli) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto attach = std::make_shared<bool>(false);
  auto interactive = std::make_shared<bool>(false);
  auto detach_keys = std::make_shared<std::string>();
  auto* start = parent->add_subcommand("start", "Start one or more stopped containers");
  start->add_flag("-a,--attach", *attach, "Attach STDOUT/STDERR and forward signals");
  start->add_flag("-i,--interactive", *interactive, "Attach container's STDIN");
  start->add_option("--detach-keys", *detach_keys, "Override the key sequence for detaching a container");
  start->add_option("CONTAINER", *names, "Containers")->required();
  start->callback([&cli, names, attach, interactive, detach_keys] {
    Result<std::string> keys = std::string();
    if (*attach || *interactive) keys = engine::resolve_detach_keys(*detach_keys);
    if (!keys.ok()) return cli.fail(keys.error(), 125);
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    if (*attach || *interactive) {
      if (names->size() > 1)
        return cli.fail(invalid_argument("you cannot start and attach multiple containers at once"));
      auto c = (*eng)->find_container(names->front());
      if (!c.ok()) return cli.fail(c.error());
      int64_t since = image::now_nanos();
      // -i containers: berth-monitor holds the first output until we connect (engine/attach.h).
      std::string pending = engine::attach_pending_path(dirname((*eng)->container_log_path(c->id)));
      bool was_running = c->state == "running";
      if (!was_running) (void)atomic_write_file(pending, "");
      auto st = (*eng)->start_detached(*c);
      ::unlink(pending.c_str());  // consumed by the monitor, unless it had no attach.sock
      if (!st.ok()) return cli.fail(st.error());
      auto now = (*eng)->find_container(c->id);
      if (!now.ok()) return cli.fail(now.error());
      AttachOptions ao;
      ao.attach_stdin = *interactive;
      ao.stdin_once = *interactive;  // Docker's StdinOnce for start -ai
      ao.detach_keys = *keys;
      auto code = attach_socket(**eng, *now, ao);
      if (!code) code = attach_output(**eng, *now, since, true, cli);
      if (!code->ok()) return cli.fail(code->error());
      cli.exit_code = **code;
      return;
    }
    for (const auto& n : *names) {
      auto c = (*eng)->find_container(n);
      Status st = c.ok() ? (*eng)->start_detached(*c) : Status(c.error());
      if (st.ok()) cli.out << n << "\n";
      else cli.fail(st.error());
    }
  });
  auto wnames = std::make_shared<std::vector<std::string>>();
  auto* wait = parent->add_subcommand("wait", "Block until containers stop, then print their exit codes");
  wait->add_option("CONTAINER", *wnames, "Containers")->required();
  wait->callback([&cli, wnames] {
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    for (const auto& n : *wnames) {
      while (true) {
        auto c = (*eng)->find_container(n);
        if (!c.ok()) {
          cli.fail(c.error());
          break;
        }
        if (c->state != "running") {
          cli.out << c->exit_code << "\n";
          break;
        }
        ::usleep(100000);
      }
    }
  });
  auto rnames = std::make_shared<std::vector<std::string>>();
  auto timeout = std::make_shared<std::optional<int>>();
  auto* restart = parent->add_subcommand("restart", "Restart one or more containers");
  restart->add_option("-t,--time,--timeout", *timeout, "Seconds to wait before killing the container");
  restart->add_option("CONTAINER", *rnames, "Containers")->required();
  restart->callback([&cli, rnames, timeout] {
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    for (const auto& n : *rnames) {
      auto st = (*eng)->stop_container(n, *timeout);
      if (st.ok()) {
        // The monitor records the exit; start once it has.
        for (int i = 0; i < 100; ++i) {
          auto c = (*eng)->find_container(n);
          if (!c.ok() || c->state != "running") break;
          ::usleep(50000);
        }
        auto c = (*eng)->find_container(n);
        st = c.ok() ? (*eng)->start_detached(*c) : Status(c.error());
      }
      if (st.ok()) cli.out << n << "\n";
      else cli.fail(st.error());
    }
  });
}

// Internal verbs of the detached monitor's round trip (engine/monitor.cc), hidden from help:
// `monitor ID` (started by run -d and start), `monitor-finish ID` and `health-probe ID`
// (exec'd by berth-monitor).
void add_monitor(CLI::App& app, Cli& cli) {
  auto id = std::make_shared<std::string>();
  auto* m = app.add_subcommand("monitor", "");
  m->group("");
  m->add_option("ID", *id)->required();
  m->callback([&cli, id] {
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    auto code = (*eng)->monitor(*id, 3);
    cli.exit_code = code.ok() ? 0 : 1;
  });
  struct Finish {
    std::string id;
    int restarts = 0, delay_ms = 100;
  };
  auto f = std::make_shared<Finish>();
  auto* fin = app.add_subcommand("monitor-finish", "");
  fin->group("");
  fin->add_option("ID", f->id)->required();
  fin->add_option("--restarts", f->restarts);
  fin->add_option("--delay-ms", f->delay_ms);
  fin->callback([&cli, f] {
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    auto code = (*eng)->monitor_finish(f->id, f->restarts, f->delay_ms);
    if (!code.ok()) return cli.fail(code.error());
    cli.exit_code = *code;
  });
  struct Probe {
    std::string id;
    int pid = 0;
  };
  auto p = std::make_shared<Probe>();
  auto* probe = app.add_subcommand("health-probe", "");
  probe->group("");
  probe->add_option("ID", p->id)->required();
  probe->add_option("--pid", p->pid)->required();
  probe->callback([&cli, p] {
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    auto code = (*eng)->health_probe(p->id, p->pid);
    if (!code.ok()) return cli.fail(code.error());
    cli.exit_code = *code;
  });
}

void register_container_commands(CLI::App& app, Cli& cli) {
  add_run(&app, cli, false);
  add_run(&app, cli, true);
  add_logs(&app, cli);
  add_start_wait_restart(&app, cli);
  add_attach(&app, cli);
  add_monitor(app, cli);
  add_ps(&app, "ps", cli);
  add_rm(&app, cli);
  add_stop_kill(&app, cli);
  add_container_fs_commands(&app, cli);
  add_container_admin_commands(&app, cli);
  auto* container = app.add_subcommand("container", "Manage containers");
  container->require_subcommand(1);
  add_run(container, cli, false);
  add_run(container, cli, true);
  add_logs(container, cli);
  add_start_wait_restart(container, cli);
  add_attach(container, cli);
  add_ps(container, "ls", cli);
  add_rm(container, cli);
  add_stop_kill(container, cli);
  add_container_prune(container, cli);
  add_container_fs_commands(container, cli);
  add_container_admin_commands(container, cli);
  add_inspect(container, cli, Kind::kContainer);
}

}  // namespace berth::cli
