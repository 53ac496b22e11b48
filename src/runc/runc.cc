// berth-runc's command line: runc's global flags, commands and flags (urfave/cli style:
// `--flag value`, `--flag=value`, `-flag value`, short aliases), errors on stderr and, with
// --log, as runc's log lines (JSON with --log-format json) where containerd-shim reads them.
#include "runc/runc.h"

#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/fs.h"
#include "runc/commands.h"

namespace berth::runc {
namespace {

struct FlagSpec {
  std::map<std::string, std::string> alias;  // every spelling -> canonical name
  std::set<std::string> takes_value;
};

FlagSpec flags_for(const std::string& cmd) {
  FlagSpec f;
  auto value = [&](std::initializer_list<const char*> names) {
    for (const char* n : names) f.alias[n] = *names.begin();
    f.takes_value.insert(*names.begin());
  };
  auto boolean = [&](std::initializer_list<const char*> names) {
    for (const char* n : names) f.alias[n] = *names.begin();
  };
  boolean({"help", "h"});
  if (cmd == "create" || cmd == "run") {
    value({"bundle", "b"});
    value({"console-socket"});
    value({"pid-file"});
    value({"preserve-fds"});
    value({"pidfd-socket"});
    boolean({"no-pivot"});
    boolean({"no-new-keyring"});
    if (cmd == "run") {
      boolean({"detach", "d"});
      boolean({"no-subreaper"});
      boolean({"keep"});
    }
  } else if (cmd == "exec") {
    value({"console-socket"});
    value({"pidfd-socket"});
    value({"cwd"});
    value({"env", "e"});
    boolean({"tty", "t"});
    value({"user", "u"});
    value({"additional-gids", "g"});
    value({"process", "p"});
    boolean({"detach", "d"});
    value({"pid-file"});
    value({"process-label"});
    value({"apparmor"});
    boolean({"no-new-privs"});
    value({"cap", "c"});
    value({"preserve-fds"});
    value({"cgroup"});
    boolean({"ignore-paused"});
  } else if (cmd == "kill") {
    boolean({"all", "a"});
  } else if (cmd == "delete") {
    boolean({"force", "f"});
  } else if (cmd == "ps") {
    value({"format", "f"});
  } else if (cmd == "list") {
    value({"format", "f"});
    boolean({"quiet", "q"});
  } else if (cmd == "spec") {
    value({"bundle", "b"});
    boolean({"rootless"});
  }
  return f;
}

// Parses argv[from..] for `cmd`. Flags end at "--"; for exec also at the first argument after
// the container id (the command's own flags follow).
Result<Args> parse(const std::string& cmd, int argc, char** argv, int from) {
  FlagSpec spec = flags_for(cmd);
  Args a;
  bool flags_done = false;
  for (int i = from; i < argc; ++i) {
    std::string arg = argv[i];
    if (flags_done || arg.size() < 2 || arg[0] != '-') {
      a.positional.push_back(arg);
      if (cmd == "exec") flags_done = true;
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
    std::string value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    auto it = spec.alias.find(name);
    if (it == spec.alias.end()) return invalid_argument("flag provided but not defined: -" + name);
    const std::string& canon = it->second;
    if (spec.takes_value.count(canon) && !has_value) {
      if (i + 1 >= argc) return invalid_argument("flag needs an argument: -" + name);
      value = argv[++i];
    } else if (!has_value) {
      value = "true";
    }
    a.values[canon].push_back(value);
  }
  return a;
}

void usage() {
  std::cout << "berth-runc: runc's command line over berth's runtime\n\n"
               "USAGE: berth-runc [global options] command [command options] [arguments...]\n\n"
               "COMMANDS: create, start, run, state, kill, delete, exec, ps, pause, resume, "
               "list, spec, features\n\n"
               "GLOBAL OPTIONS: --root value (default /run/berth-runc), --log value, "
               "--log-format text|json, --debug, --systemd-cgroup, --rootless value\n";
}

void log_error(const Globals& g, const std::string& msg) {
  std::cerr << msg << "\n";
  if (g.log.empty()) return;
  FILE* f = std::fopen(g.log.c_str(), "ae");
  if (!f) return;
  char ts[64];
  std::time_t now = std::time(nullptr);
  std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  if (g.log_format == "json") {
    nlohmann::json j = {{"level", "error"}, {"msg", msg}, {"time", ts}};
    std::fprintf(f, "%s\n", j.dump().c_str());
  } else {
    std::fprintf(f, "time=\"%s\" level=error msg=%s\n", ts, nlohmann::json(msg).dump().c_str());
  }
  std::fclose(f);
}

}  // namespace

int runc_main(int argc, char** argv) {
  Globals g;
  if (const char* trace = std::getenv("BERTH_RUNC_TRACE")) {
    // Debugging aid for peers' invocations: append the command line to this file.
    if (FILE* f = std::fopen(trace, "ae")) {
      for (int i = 0; i < argc; ++i) std::fprintf(f, "%s%s", i ? " " : "", argv[i]);
      std::fprintf(f, "\n");
      std::fclose(f);
    }
  }
  int i = 1;
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.empty() || arg[0] != '-') break;
    std::string name = arg.substr(arg.size() > 1 && arg[1] == '-' ? 2 : 1);
    std::string value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    auto take = [&]() -> std::string {
      if (has_value) return value;
      return i + 1 < argc ? argv[++i] : "";
    };
    if (name == "root")
      g.root = take();
    else if (name == "log")
      g.log = take();
    else if (name == "log-format")
      g.log_format = take();
    else if (name == "criu" || name == "rootless")
      take();
    else if (name == "systemd-cgroup")
      g.systemd_cgroup = true;
    else if (name == "debug") {
    } else if (name == "version" || name == "v") {
      std::cout << "berth-runc version " BERTH_VERSION "\nspec: 1.0.2-dev\n";
      return 0;
    } else if (name == "help" || name == "h") {
      usage();
      return 0;
    } else {
      log_error(g, "flag provided but not defined: -" + name);
      return 1;
    }
  }
  if (i >= argc) {
    usage();
    return 0;
  }
  std::string cmd = argv[i];
  auto args = parse(cmd, argc, argv, i + 1);
  if (!args.ok()) {
    log_error(g, args.error().message());
    return 1;
  }
  if (args->flag("help")) {
    usage();
    return 0;
  }
  Result<int> r = 0;
  if (cmd == "create")
    r = cmd_create(g, *args);
  else if (cmd == "start")
    r = cmd_start(g, *args);
  else if (cmd == "run")
    r = cmd_run(g, *args);
  else if (cmd == "state")
    r = cmd_state(g, *args);
  else if (cmd == "kill")
    r = cmd_kill(g, *args);
  else if (cmd == "delete")
    r = cmd_delete(g, *args);
  else if (cmd == "exec")
    r = cmd_exec(g, *args);
  else if (cmd == "ps")
    r = cmd_ps(g, *args);
  else if (cmd == "list")
    r = cmd_list(g, *args);
  else if (cmd == "pause")
    r = cmd_pause(g, *args, true);
  else if (cmd == "resume")
    r = cmd_pause(g, *args, false);
  else if (cmd == "spec")
    r = cmd_spec(g, *args);
  else if (cmd == "features")
    r = cmd_features(g, *args);
  else {
    log_error(g, "No help topic for '" + cmd + "'");
    return 3;
  }
  if (!r.ok()) {
    log_error(g, r.error().message());
    return 1;
  }
  return *r;
}

}  // namespace berth::runc
