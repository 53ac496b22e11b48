// `exec` / `container exec`: a command in a running container, Docker's flags and exit codes.
#include "engine/exec.h"
#include "engine/detach_keys.h"

#include <unistd.h>

#include "cli/cli.h"
#include "runtime/launcher.h"

namespace berth::cli {
namespace {

struct ExecFlags {
  engine::ExecRequest req;
  std::vector<std::string> env, env_files;
  std::string detach_keys;
};

void run_exec(Cli& cli, ExecFlags& f, const std::vector<std::string>& rest) {
  if (rest.size() < 2) {
    cli.err << "\"berth exec\" requires at least 2 arguments.\nSee 'berth exec --help'.\n";
    cli.exit_code = 1;
    return;
  }
  auto& r = f.req;
  r.container = rest[0];
  r.command.assign(rest.begin() + 1, rest.end());
  // Docker: env files first, then -e.
  r.env.clear();
  for (const auto& file : f.env_files) {
    auto vars = engine::read_env_file(file);
    if (!vars.ok()) return cli.fail(vars.error(), 125);
    r.env.insert(r.env.end(), vars->begin(), vars->end());
  }
  r.env.insert(r.env.end(), f.env.begin(), f.env.end());
  if (r.tty && r.interactive && !r.detach) {
    auto keys = engine::resolve_detach_keys(f.detach_keys);
    if (!keys.ok()) return cli.fail(keys.error(), 125);
    r.detach_keys = *keys;
  }
  if (r.tty && !r.detach && r.interactive && !::isatty(STDIN_FILENO)) {
    cli.err << "the input device is not a TTY\n";
    cli.exit_code = 1;
    return;
  }
  auto eng = cli.engine();
  if (!eng.ok()) return cli.fail(eng.error(), 125);
  auto code = engine::exec_in(**eng, r);
  if (code.ok()) {
    cli.exit_code = *code;
    return;
  }
  const Error& e = code.error();
  if (e.message().rfind("unable to start container process:", 0) == 0) {
    // As Docker relays runc's failure.
    cli.err << "OCI runtime exec failed: exec failed: " << e.message() << ": unknown\n";
    cli.exit_code = runtime::exit_code_for(e) == 125 ? 126 : runtime::exit_code_for(e);
    return;
  }
  if (e.code() == Code::kNotFound || e.code() == Code::kFailedPrecondition) {
    cli.err << "Error response from daemon: " << e.message() << "\n";
    cli.exit_code = 1;
    return;
  }
  cli.fail(e, e.code() == Code::kInvalidArgument ? 125 : 1);
}

void add_exec(CLI::App* parent, Cli& cli) {
  auto f = std::make_shared<ExecFlags>();
  auto* c = parent->add_subcommand("exec", "Execute a command in a running container");
  // Flags end at the container: what follows is the command and its own flags.
  c->prefix_command();
  c->set_help_flag("--help", "Print usage");
  auto& r = f->req;
  c->add_flag("-d,--detach", r.detach, "Detached mode: run command in the background");
  c->add_option("--detach-keys", f->detach_keys, "Override the key sequence for detaching");
  c->add_option("-e,--env", f->env, "Set environment variables")->allow_extra_args(false);
  c->add_option("--env-file", f->env_files, "Read in a file of environment variables")
      ->allow_extra_args(false);
  c->add_flag("-i,--interactive", r.interactive, "Keep STDIN open even if not attached");
  c->add_flag("--privileged", r.privileged, "Give extended privileges to the command");
  c->add_flag("-t,--tty", r.tty, "Allocate a pseudo-TTY");
  c->add_option("-u,--user", r.user, "Username or UID (format: \"<name|uid>[:<group|gid>]\")");
  c->add_option("-w,--workdir", r.workdir, "Working directory inside the container");
  c->callback([&cli, f, c] { run_exec(cli, *f, c->remaining()); });
}

}  // namespace

void register_exec_commands(CLI::App& app, Cli& cli) {
  add_exec(&app, cli);
  for (auto* sub : app.get_subcommands([](CLI::App* a) { return a->get_name() == "container"; }))
    add_exec(sub, cli);
}

}  // namespace berth::cli
