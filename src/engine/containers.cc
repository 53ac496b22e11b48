// Containers: records, bundles, the attached run, and ps/rm/stop/kill with Docker's semantics.
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <thread>

#include "base/fs.h"
#include "base/proc.h"
#include "base/log.h"
#include "base/scope_exit.h"
#include "base/strings.h"
#include "engine/attach.h"
#include "engine/container_state.h"
#include "engine/engine.h"
#include "engine/external_runtime.h"
#include "engine/gpu.h"
#include "engine/logs.h"
#include "engine/ns_join.h"
#include "engine/userns.h"
#include "engine/terminal.h"
#include "engine/network.h"
#include "format/units.h"
#include "runtime/caps.h"
#include "runtime/cgroup.h"
#include "runtime/hooks.h"
#include "runtime/launcher.h"
#include "runtime/seccomp.h"
#include "runtime/signals.h"

namespace berth::engine {
namespace {

// Docker-style generated names: adjective_surname.
std::string random_name(const std::string& id) {
  static const char* adj[] = {"brave", "calm", "eager", "fervent", "gentle", "happy", "jolly",
                              "keen", "lucid", "merry", "nifty", "quirky", "serene", "vivid",
                              "witty", "zealous"};
  static const char* who[] = {"curie", "darwin", "euler", "gauss", "hopper", "hypatia",
                              "lovelace", "noether", "pascal", "ramanujan", "shannon", "turing",
                              "wu", "yonath", "kepler", "franklin"};
  unsigned a = static_cast<unsigned>(std::stoul(id.substr(0, 2), nullptr, 16)) % 16;
  unsigned w = static_cast<unsigned>(std::stoul(id.substr(2, 2), nullptr, 16)) % 16;
  return std::string(adj[a]) + "_" + who[w];
}

// A file of the image's root file system, read from its layers top first (a whiteout hides it).
std::string image_file(const std::vector<std::string>& lowerdirs, const std::string& rel) {
  for (const auto& dir : lowerdirs) {
    std::string p = path_join(dir, rel);
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0) continue;
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) return "";
    if (!S_ISREG(st.st_mode)) return "";
    auto r = read_file(p);
    return r.ok() ? *r : "";
  }
  return "";
}

const char* kSelect =
    "SELECT id, name, image_id, image_ref, coalesce(top_layer,''), created, config, state, pid, "
    "exit_code, started_at, finished_at, oom_killed, error FROM containers";

ContainerRecord read_row(const metadata::Stmt& st) {
  ContainerRecord c;
  c.id = st.col_text(0);
  c.name = st.col_text(1);
  c.image_id = st.col_text(2);
  c.image_ref = st.col_text(3);
  c.top_layer = st.col_text(4);
  c.created = st.col_int(5);
  c.config = st.col_text(6);
  c.state = st.col_text(7);
  c.pid = static_cast<int>(st.col_int(8));
  c.exit_code = static_cast<int>(st.col_int(9));
  c.started_at = st.col_int(10);
  c.finished_at = st.col_int(11);
  c.oom_killed = st.col_int(12) != 0;
  c.error = st.col_text(13);
  return c;
}

volatile sig_atomic_t g_forward_pid = 0;
void forward_signal(int sig) {
  if (g_forward_pid > 0) ::kill(g_forward_pid, sig);
}

Result<runtime::Resources> cgroup_resources(const runtime::RunOptions& o,
                                            const oci::RuntimeSpec& spec) {
  runtime::Resources r;
  if (o.memory > 0) r.memory = o.memory;
  if (o.memory_swap != 0) r.memory_swap = o.memory_swap;
  if (o.memory > 0 && o.memory_swap == 0) r.memory_swap = 2 * o.memory;  // Docker's default
  if (o.nano_cpus > 0) r.cpus = static_cast<double>(o.nano_cpus) / 1e9;
  if (o.cpu_shares > 0) r.cpu_shares = static_cast<uint64_t>(o.cpu_shares);
  r.cpuset_cpus = o.cpuset_cpus;
  r.cpuset_mems = o.cpuset_mems;
  if (o.pids_limit && *o.pids_limit > 0) r.pids_limit = *o.pids_limit;
  if (spec.linux && spec.linux->resources)
    r.devices = runtime::cgroup_device_rules(spec.linux->resources->devices);
  return r;
}

}  // namespace

std::string Engine::container_dir(const std::string& id) const {
  return path_join(path_join(opts_.root, "containers"), id);
}

Result<ContainerRecord> Engine::create_container(const RunRequest& req) {
  auto img = store_->resolve(req.image);
  if (!img.ok()) {
    if (img.error().code() != Code::kNotFound) return std::move(img).error();
    auto ref = image::parse_docker_ref(req.image);
    return not_found("Unable to find image '" + (ref.ok() ? ref->familiar_string() : req.image) +
                     "' locally (pulling arrives with the registry client; use `berth load` or "
                     "`berth import`)");
  }
  BERTH_ASSIGN_OR_RETURN(auto cfg, oci::parse_image_config(img->config_bytes));
  ContainerRecord c;
  c.id = random_hex(32);
  c.name = req.name.empty() ? random_name(c.id) : req.name;
  if (c.name.size() > 1 && c.name[0] == '/') c.name = c.name.substr(1);  // Docker's "/name"
  // Only 256 generated names exist: on a clash pick again, then add digits as Docker does, so
  // creating many unnamed containers never fails with a name conflict.
  for (int retry = 1; req.name.empty() && retry <= 20; ++retry) {
    auto other = find_container(c.name);
    if (!other.ok() || other->name != c.name) break;
    std::string bytes = random_hex(3);
    c.name = random_name(bytes) + std::to_string(std::stoul(bytes.substr(4), nullptr, 16) % (retry < 10 ? 10 : 1000));
  }
  static const std::regex kName("[a-zA-Z0-9][a-zA-Z0-9_.-]+");
  if (!std::regex_match(c.name, kName))
    return invalid_argument("Invalid container name (" + c.name +
                            "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  BERTH_TRY(check_name_free(c.name));
  c.image_id = img->id;
  c.image_ref = req.image;
  c.top_layer = img->top_layer;
  c.created = image::now_nanos();
  c.state = "created";

  std::string dir = container_dir(c.id);
  BERTH_TRY(mkdir_all(path_join(dir, "upper"), 0755));
  BERTH_TRY(mkdir_all(path_join(dir, "work"), 0700));
  BERTH_TRY(mkdir_all(path_join(dir, "rootfs"), 0755));
  bool committed = false;
  ScopeExit cleanup([&] {
    if (!committed) (void)remove_all(dir);
  });

  runtime::RunOptions o = req.options;
  o.image = cfg.config;
  std::vector<std::string> lowers;
  if (!img->top_layer.empty()) {
    BERTH_ASSIGN_OR_RETURN(lowers, store_->layers().lowerdirs(img->top_layer));
  }
  o.passwd = image_file(lowers, "etc/passwd");
  o.group = image_file(lowers, "etc/group");
  o.rootfs = path_join(dir, "rootfs");
  BERTH_ASSIGN_OR_RETURN(auto userns, allocate_userns(*this, c.id, req.userns));  // userns.h
  o.uid_map = userns.uid;
  o.gid_map = userns.gid;
  BERTH_ASSIGN_OR_RETURN(Json net, prepare_container_network(*this, req, c.id, dir, o,
                                                             cfg.config.exposed_ports));
  if (o.hostname.empty()) o.hostname = c.id.substr(0, 12);
  // Capabilities and seccomp: Docker's defaults, then the user's changes.
  BERTH_ASSIGN_OR_RETURN(o.capabilities, runtime::resolve_caps(runtime::docker_default_caps(),
                                                               req.cap_add, req.cap_drop,
                                                               o.privileged));
  std::optional<runtime::SeccompProfile> profile = runtime::default_seccomp_profile();
  for (const auto& so : req.security_opts) {
    auto kv = split_once(so, so.find('=') != std::string::npos ? '=' : ':');
    if (kv.first == "no-new-privileges") {
      o.no_new_privileges = !kv.found || kv.second == "true";
    } else if (kv.first == "seccomp" && kv.second == "unconfined") {
      profile.reset();
    } else if (kv.first == "seccomp") {
      BERTH_ASSIGN_OR_RETURN(auto text, read_file(kv.second));
      BERTH_ASSIGN_OR_RETURN(auto p, runtime::parse_seccomp_profile(text));
      profile = p;
    } else if (kv.first == "label" || kv.first == "apparmor") {
      // SELinux and AppArmor are not used by berth; Docker ignores them where absent too.
    } else {
      return invalid_argument("Invalid --security-opt: \"" + so + "\"");
    }
  }
  if (profile && !o.privileged) o.seccomp = runtime::to_oci_seccomp(*profile, o.capabilities);

  // The container's /etc/hostname, /etc/hosts and /etc/resolv.conf are files of its bundle,
  // bind-mounted, as Docker does: the image's own are never changed.
  BERTH_TRY(write_file_unsynced(path_join(dir, "hostname"), o.hostname + "\n"));
  for (const char* f : {"hostname", "hosts", "resolv.conf"})
    o.binds.push_back({path_join(dir, f), std::string("/etc/") + f, false, "rprivate", true});
  Json mounts = Json::array();
  std::vector<std::string> made_volumes;
  ScopeExit drop_volumes([&] {
    if (committed) return;
    for (const auto& v : made_volumes) (void)volume_store().remove(v);
  });
  BERTH_TRY(add_container_mounts(req, cfg, lowers, dir, o, mounts, made_volumes));
  // idmap means something only in a user namespace: under --userns the bundle's /etc files,
  // volumes and binds with the idmap option read as the container's root owns them.
  if (userns.uid.empty())
    for (auto& b : o.binds) b.idmap = false;
  std::string init_binary;
  if (req.init) {
    BERTH_ASSIGN_OR_RETURN(init_binary, find_init_binary());
    o.binds.push_back({init_binary, "/sbin/docker-init", true, "rprivate"});
  }
  std::string stop_signal = req.stop_signal.empty() ? cfg.config.stop_signal : req.stop_signal;
  if (!stop_signal.empty()) BERTH_TRY(runtime::parse_signal(stop_signal));
  o.cgroups_path = "berth/" + c.id;
  std::vector<std::string> all_env = cfg.config.env;
  all_env.insert(all_env.end(), o.env.begin(), o.env.end());
  BERTH_ASSIGN_OR_RETURN(auto devs, resolve_container_devices(req, o.devices, all_env, lowers));
  BERTH_ASSIGN_OR_RETURN(auto spec, runtime::build_spec(o));
  BERTH_TRY(apply_container_edits(devs.edits, spec, o.privileged));
  const std::string runtime_name = effective_runtime(req.runtime);
  std::vector<std::string> user_args = spec.process->args;
  if (req.init) {
    // tini reaps zombies and forwards signals to the command, as Docker's docker-init does.
    spec.process->args.insert(spec.process->args.begin(), {"/sbin/docker-init", "--"});
  }
  BERTH_TRY(write_file_unsynced(path_join(dir, "config.json"), oci::serialize_runtime_spec(spec)));
  // The bundle's files were written unsynced (no one reads them before the record exists): one
  // fsync each and one of the directory, instead of a rename and two fsyncs per file. Not for
  // --rm: after a power loss such a container is removed anyway (`system check`, as Docker
  // removes them when its daemon restarts), so its bundle need not survive one.
  if (!req.remove) BERTH_TRY(sync_files(dir, {"hostname", "hosts", "resolv.conf", "config.json"}));

  Json conf = Json::object();
  conf["Cmd"] = user_args;
  conf["Init"] = req.init;
  conf["Env"] = spec.process->env;
  conf["Hostname"] = o.hostname;
  conf["WorkingDir"] = spec.process->cwd;
  // inspect's Config shows the effective settings, as Docker's does: the flags over the image's
  // USER, ENTRYPOINT, CMD (dropped by --entrypoint) and labels.
  conf["User"] = o.user.empty() ? cfg.config.user : o.user;
  bool own_entrypoint = o.entrypoint.has_value();
  bool no_entrypoint = own_entrypoint && (o.entrypoint->empty() || *o.entrypoint == std::vector<std::string>{""});
  auto entrypoint = own_entrypoint ? (no_entrypoint ? std::nullopt : o.entrypoint) : cfg.config.entrypoint;
  auto command = !o.command.empty() ? std::optional(o.command)
                                    : (own_entrypoint ? std::nullopt : cfg.config.cmd);
  conf["ConfigEntrypoint"] = entrypoint ? Json(*entrypoint) : Json(nullptr);
  conf["ConfigCmd"] = command ? Json(*command) : Json(nullptr);
  Json labels(cfg.config.labels);
  for (const auto& l : req.labels) {
    auto kv = split_once(l, '=');
    labels[kv.first] = kv.second;
  }
  conf["Labels"] = labels;
  conf["Memory"] = o.memory;
  conf["MemorySwap"] = o.memory_swap;
  conf["NanoCpus"] = o.nano_cpus;
  conf["CpuShares"] = o.cpu_shares;
  conf["PidsLimit"] = o.pids_limit.value_or(0);
  conf["CpusetCpus"] = o.cpuset_cpus;
  conf["AutoRemove"] = req.remove;
  // -i: berth-monitor keeps the container's stdin open for `attach` (engine/attach.h).
  conf["OpenStdin"] = req.interactive;
  conf["Tty"] = req.options.tty;
  conf["NetworkMode"] = net["Mode"];
  BERTH_ASSIGN_OR_RETURN(conf["IpcMode"], resolve_namespace_mode(*this, "ipc", req.ipc_mode));
  BERTH_ASSIGN_OR_RETURN(conf["PidMode"], resolve_namespace_mode(*this, "pid", req.pid_mode));
  conf["Net"] = net;
  conf["UsernsMode"] = userns.uid.empty() ? "" : req.userns;
  if (!userns.uid.empty())
    conf["UsernsRange"] = {{"Start", userns.host_uids.start}, {"Count", userns.host_uids.count}};
  conf["Privileged"] = o.privileged;
  conf["ReadonlyRootfs"] = o.read_only;
  conf["ShmSize"] = o.shm_size;
  conf["StopSignal"] = stop_signal;
  if (req.stop_timeout) conf["StopTimeout"] = *req.stop_timeout;
  if (req.healthcheck || cfg.config.healthcheck) {
    // The flags override the image's HEALTHCHECK field by field, as Docker merges them.
    oci::HealthConfig h = cfg.config.healthcheck.value_or(oci::HealthConfig{});
    if (req.healthcheck) {
      const auto& f = *req.healthcheck;
      if (!f.test.empty()) h.test = f.test;
      if (f.interval) h.interval = f.interval;
      if (f.timeout) h.timeout = f.timeout;
      if (f.start_period) h.start_period = f.start_period;
      if (f.retries) h.retries = f.retries;
    }
    conf["Healthcheck"] = {{"Test", h.test}, {"Interval", h.interval}, {"Timeout", h.timeout},
                           {"StartPeriod", h.start_period}, {"Retries", h.retries}};
  }
  conf["Binds"] = req.volumes;
  conf["Mounts"] = mounts;
  conf["HostMounts"] = req.mounts;
  conf["DeviceRequests"] = devs.device_requests;
  conf["Devices"] = o.devices;
  conf["CapAdd"] = req.cap_add;
  conf["CapDrop"] = req.cap_drop;
  conf["SecurityOpt"] = req.security_opts;
  Json ulimits = Json::array();
  for (const auto& u : o.ulimits) {
    BERTH_ASSIGN_OR_RETURN(auto rl, runtime::parse_ulimit(u));
    auto to_docker = [](uint64_t v) { return v == RLIM_INFINITY ? int64_t{-1} : static_cast<int64_t>(v); };
    ulimits.push_back({{"Name", to_lower(rl.type.substr(7))}, {"Hard", to_docker(rl.hard)},
                       {"Soft", to_docker(rl.soft)}});
  }
  conf["Ulimits"] = ulimits;
  {
    BERTH_ASSIGN_OR_RETURN(Json policy, restart_policy_json(req.restart));
    std::string name = policy["Name"];
    if (req.remove && name != "no")
      return invalid_argument("Conflicting options: --restart and --rm");
    if (name == "on-unhealthy" && !req.healthcheck && !cfg.config.healthcheck)
      return invalid_argument("--restart on-unhealthy needs a healthcheck (HEALTHCHECK or --health-cmd)");
    conf["RestartPolicy"] = policy;
  }
  BERTH_ASSIGN_OR_RETURN(auto lc, parse_log_config(req.log_driver, req.log_opts));
  Json lcfg = Json::object();
  for (const auto& lo : req.log_opts) {
    auto kv = split_once(lo, '=');
    lcfg[kv.first] = kv.second;
  }
  conf["LogConfig"] = {{"Type", lc.driver}, {"Config", lcfg}, {"MaxSize", lc.max_size},
                       {"MaxFiles", lc.max_files}};
  conf["Image"] = req.image;
  if (!runtime_name.empty()) {  // --runtime: checked now, resolved again at each start
    BERTH_ASSIGN_OR_RETURN(auto rt, resolve_runtime(runtime_name));
    conf["Runtime"] = runtime_name.find('/') == std::string::npos ? runtime_name : rt;
  }
  conf["RuntimeName"] = req.runtime.empty() ? "berth" : req.runtime;
  c.config = conf.dump();

  BERTH_ASSIGN_OR_RETURN(auto tx, store_->db().begin());
  // The name's unique index is the atomic check: of two creates racing for one name, the
  // second's INSERT fails, and says so in Docker's words.
  auto inserted = store_->db().run(
      "INSERT INTO containers(id, name, image_id, image_ref, top_layer, created, config, state) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
      c.id, c.name, c.image_id, c.image_ref,
      c.top_layer.empty() ? std::optional<std::string>() : std::optional<std::string>(c.top_layer),
      c.created, c.config, c.state);
  if (!inserted.ok() && inserted.error().code() == Code::kAlreadyExists) {
    (void)tx.rollback();
    BERTH_TRY(check_name_free(c.name));
  }
  BERTH_TRY(std::move(inserted));
  if (!c.top_layer.empty()) BERTH_TRY(store_->layers().acquire(c.top_layer));
  BERTH_TRY(tx.commit());
  committed = true;
  return c;
}

void Engine::thaw_if_paused(const ContainerRecord& c) {
  auto paused = is_paused(c);
  if (paused.ok() && *paused) (void)unpause_container(c.id);
}

Result<Json> restart_policy_json(const std::string& flag) {
  auto kv = split_once(flag.empty() ? "no" : flag, ':');
  int max = 0;
  if (kv.found) {
    try {
      max = std::stoi(kv.second);
    } catch (...) {
      max = -1;
    }
  }
  bool counted = kv.first == "on-failure" || kv.first == "on-unhealthy";
  if ((kv.first != "no" && kv.first != "always" && kv.first != "unless-stopped" && !counted) ||
      max < 0 || (kv.found && !counted))
    return invalid_argument("invalid restart policy: " + flag);
  return Json{{"Name", kv.first}, {"MaximumRetryCount", max}};
}

Status Engine::save_container_state(const ContainerRecord& c) {
  return store_->db().run(
      "UPDATE containers SET state = ?2, pid = ?3, exit_code = ?4, started_at = ?5, "
      "finished_at = ?6, oom_killed = ?7, error = ?8 WHERE id = ?1",
      c.id, c.state, c.pid, c.exit_code, c.started_at, c.finished_at, c.oom_killed ? 1 : 0,
      c.error);
}

// The resource flags a container was created with, read back from its record.
static runtime::RunOptions resource_options(const std::string& config) {
  runtime::RunOptions o;
  Json conf = Json::parse(config, nullptr, false);
  if (conf.is_discarded()) return o;
  o.memory = conf.value("Memory", int64_t{0});
  o.memory_swap = conf.value("MemorySwap", int64_t{0});
  o.nano_cpus = conf.value("NanoCpus", int64_t{0});
  o.cpu_shares = conf.value("CpuShares", int64_t{0});
  o.cpuset_cpus = conf.value("CpusetCpus", std::string());
  if (int64_t p = conf.value("PidsLimit", int64_t{0}); p != 0) o.pids_limit = p;
  return o;
}

Result<Engine::Started> Engine::start_process(ContainerRecord& c, const StdioFds& stdio) {
  std::string dir = container_dir(c.id);
  BERTH_ASSIGN_OR_RETURN(auto spec_text, read_file(path_join(dir, "config.json")));
  BERTH_ASSIGN_OR_RETURN(auto spec, oci::parse_runtime_spec(spec_text));
  std::string lower;
  if (!c.top_layer.empty()) {
    BERTH_ASSIGN_OR_RETURN(auto dirs, store_->layers().lowerdirs(c.top_layer));
    lower = join(dirs, ":");
  } else {
    lower = path_join(dir, "empty");  // overlay needs a lower layer: an empty one
    BERTH_TRY(mkdir_all(lower));
  }
  runtime::LaunchOptions lo;
  lo.overlay_options = "lowerdir=" + lower + ",upperdir=" + path_join(dir, "upper") +
                       ",workdir=" + path_join(dir, "work");
  Started st;
  BERTH_ASSIGN_OR_RETURN(auto layout, runtime::detect_cgroups());
  BERTH_ASSIGN_OR_RETURN(st.cgroup, runtime::open_cgroup(layout, "berth/" + c.id));
  BERTH_ASSIGN_OR_RETURN(auto res, cgroup_resources(resource_options(c.config), spec));
  BERTH_TRY_CTX(st.cgroup->create(res), "creating the container's cgroup");
  lo.cgroup = st.cgroup.get();
  if (spec.process->terminal) {
    struct winsize ws {};
    unsigned rows = 0, cols = 0;
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
      spec.process->console_size = oci::Box{ws.ws_row, ws.ws_col};
    else if (const char* env = std::getenv(kConsoleSizeEnv);  // the monitor's (start_detached)
             env && std::sscanf(env, "%ux%u", &rows, &cols) == 2 && rows && cols && rows < 65536 &&
             cols < 65536)
      spec.process->console_size = oci::Box{rows, cols};
  }
  auto net = attach_container_network(*this, c, spec);
  if (!net.ok()) {
    (void)st.cgroup->destroy();
    return std::move(net).error();
  }
  st.net = std::move(*net);
  UniqueFd shared_shm;  // --ipc container:<x>: x's /dev/shm
  if (auto joined = join_container_namespaces(*this, c, spec, &shared_shm); !joined.ok()) {  // ns_join.h
    (void)st.cgroup->destroy();
    (void)detach_container_network(*this, c.id);
    return std::move(joined).error();
  }
  lo.stdin_fd = stdio.in;
  lo.stdout_fd = stdio.out;
  lo.stderr_fd = stdio.err;
  lo.shm_mount_fd = shared_shm.get();
  lo.hook_id = c.id;  // the state the spec's hooks (CDI's among them) read
  lo.hook_bundle = dir;
  auto ext = external_runtime_of(*this, c);  // --runtime (external_runtime.h)
  auto launched = ext ? launch_external(*ext, spec, lo) : runtime::launch(spec, lo);
  if (!launched.ok()) {
    (void)st.cgroup->destroy();
    (void)detach_container_network(*this, c.id);
    c.state = "exited";
    c.exit_code = runtime::exit_code_for(launched.error());
    c.error = launched.error().message();
    c.finished_at = image::now_nanos();
    (void)save_container_state(c);
    return std::move(launched).error();
  }
  st.proc = std::move(*launched);
  if (!st.proc.hook_warning.empty())
    spdlog::warn("container {}: {}", c.id.substr(0, 12), st.proc.hook_warning);
  c.state = "running";
  c.pid = st.proc.pid;
  c.started_at = image::now_nanos();
  // A new run: as Docker, nothing of how the last one ended while this one runs (FinishedAt
  // stays until this one ends, as Docker's does).
  c.exit_code = 0;
  c.oom_killed = false;
  c.error.clear();
  BERTH_TRY(save_container_state(c));
  return st;
}

namespace {

// The spec's poststop hooks, after the container is gone; as the runtime spec says, a failure
// is a warning and the rest goes on.
void run_poststop_hooks(const std::string& id, const std::string& dir) {
  auto text = read_file(path_join(dir, "config.json"));
  // Every exit passes here: parse the spec (seccomp and all) only when it has poststop hooks.
  if (!text.ok() || text->find("\"poststop\"") == std::string::npos) return;
  auto spec = oci::parse_runtime_spec(*text);
  if (!spec.ok() || !spec->hooks || spec->hooks->poststop.empty()) return;
  runtime::HookState hs{id, dir, spec->annotations};
  auto st = runtime::run_hooks(spec->hooks->poststop, "poststop",
                               runtime::hook_state_json(hs, "stopped", 0));
  if (!st.ok()) spdlog::warn("container {}: {}", id.substr(0, 12), st.error().message());
}

}  // namespace

Result<int> Engine::finish_process(ContainerRecord& c, Started& st) {
  int status = 0;
  while (::waitpid(st.proc.pid, &status, 0) < 0 && errno == EINTR) {
  }
  auto oom = st.cgroup->oom_killed();
  c.oom_killed = oom.ok() && *oom;
  auto ext = external_runtime_of(*this, c);
  if (ext) cleanup_external(*ext, path_join(container_dir(c.id), "rootfs"));  // runs poststop
  (void)st.cgroup->destroy();
  if (!ext) run_poststop_hooks(c.id, container_dir(c.id));
  c.state = "exited";
  c.exit_code = runtime::docker_exit_status(status);
  c.finished_at = image::now_nanos();
  c.pid = 0;
  auto saved = save_container_state(c);
  // After the exit is on record (so `wait` never sees a dead pid without it): ports, veths, NAT.
  if (auto net = detach_container_network(*this, c.id); !net.ok())
    spdlog::warn("container {}: {}", c.id.substr(0, 12), net.error().message());
  st.net.reset();
  Json conf = Json::parse(c.config, nullptr, false);
  if (!conf.is_discarded() && conf.value("AutoRemove", false)) {
    BERTH_TRY(remove_container(c.id, true, true));
  } else if (!saved.ok() && saved.error().code() != Code::kNotFound) {
    return std::move(saved).error();
  }
  return c.exit_code;
}

Result<int> Engine::run_attached(const ContainerRecord& rec, const RunRequest& req) {
  ContainerRecord c = rec;
  UniqueFd devnull;
  StdioFds stdio;
  if (!req.interactive && !req.options.tty) {
    BERTH_ASSIGN_OR_RETURN(devnull, open_file("/dev/null", O_RDONLY));
    stdio.in = devnull.get();
  }
  // Docker's sig-proxy: signals to `berth run` go to the container.
  struct sigaction sa {};
  sa.sa_handler = forward_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  if (req.sig_proxy)
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) ::sigaction(s, &sa, nullptr);
  auto st = start_process(c, stdio);
  if (!st.ok()) {
    if (req.remove) (void)remove_container(c.id, true, true);
    return std::move(st).error();
  }
  g_forward_pid = st->proc.pid;
  if (st->proc.console) proxy_pty(st->proc.console.get(), req.interactive);
  auto code = finish_process(c, *st);
  g_forward_pid = 0;
  return code;
}

Result<std::vector<ContainerRecord>> Engine::list_containers() {
  BERTH_ASSIGN_OR_RETURN(auto st,
                         store_->db().prepare(std::string(kSelect) + " ORDER BY created DESC"));
  std::vector<ContainerRecord> out;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    out.push_back(read_row(st));
    reconcile_state(out.back(), container_dir(out.back().id));
  }
  return out;
}

// One row by its primary key or its unique name, without reading the others.
static Result<std::optional<ContainerRecord>> container_where(metadata::Db& db, const char* column,
                                                              const std::string& value) {
  BERTH_ASSIGN_OR_RETURN(auto st, db.query(std::string(kSelect) + " WHERE " + column + " = ?1",
                                           value));
  BERTH_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return std::optional<ContainerRecord>();
  return std::optional<ContainerRecord>(read_row(st));
}

Status Engine::check_name_free(const std::string& name, std::string_view prefix) {
  BERTH_ASSIGN_OR_RETURN(auto other, container_where(store_->db(), "name", name));
  if (!other) return {};
  return conflict(std::string(prefix) + "Conflict. The container name \"/" + name +
                  "\" is already in use by container \"" + other->id +
                  "\". You have to remove (or rename) that container to be able to reuse that "
                  "name.");
}

Result<ContainerRecord> Engine::find_container(std::string_view name_or_id) {
  std::string s(name_or_id);
  if (!s.empty() && s[0] == '/') s = s.substr(1);
  // Docker's order: a full id, then a name, then an id prefix.
  for (const char* column : {"id", "name"}) {
    BERTH_ASSIGN_OR_RETURN(auto hit, container_where(store_->db(), column, s));
    if (hit) {
      reconcile_state(*hit, container_dir(hit->id));
      return std::move(*hit);
    }
  }
  BERTH_ASSIGN_OR_RETURN(auto all, list_containers());
  std::vector<ContainerRecord*> hits;
  if (image::could_be_id_prefix(s))
    for (auto& c : all)
      if (c.id.rfind(s, 0) == 0) hits.push_back(&c);
  if (hits.size() == 1) return *hits.front();
  if (hits.size() > 1) return invalid_argument("multiple IDs found with provided prefix: " + s);
  return not_found("No such container: " + std::string(name_or_id));
}

// tini-static from Debian's tini package (static, so it runs in any image); BERTH_INIT overrides.
Result<std::string> Engine::find_init_binary() {
  if (const char* e = std::getenv("BERTH_INIT"); e && *e) return std::string(e);
  for (const char* p : {"/usr/libexec/berth/docker-init", "/usr/bin/tini-static", "/usr/bin/docker-init"})
    if (::access(p, X_OK) == 0) return std::string(p);
  return failed_precondition("--init: no init binary found (install Debian's tini package, or set BERTH_INIT)");
}

}  // namespace berth::engine
