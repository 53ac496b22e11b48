// `pull`, `push`, `login`, `logout` (and `image pull/push`), `manifest inspect`.
#include <termios.h>
#include <unistd.h>

#include <map>

#include "base/strings.h"
#include "cli/commands/commands.h"
#include "engine/registry.h"
#include "format/units.h"

namespace berth::cli {
namespace {

// Renders pull/push events as Docker does: on a terminal one line per layer, redrawn in place
// with a progress bar; otherwise a plain line per status change (progress updates dropped).
class ProgressPrinter {
 public:
  ProgressPrinter(std::ostream& out, bool tty) : out_(out), tty_(tty) {}

  void operator()(const registry::ProgressEvent& e) {
    if (e.id.empty()) {
      out_ << e.status << "\n";
      ++lines_;
      out_.flush();
      return;
    }
    if (!tty_) {
      if (e.has_progress()) return;
      out_ << e.id << ": " << e.status << "\n";
      out_.flush();
      return;
    }
    std::string text = e.id + ": " + e.status;
    if (e.has_progress()) {
      // Redraw only when the bar moves: 1% steps keep a fast download from flooding the tty.
      int pct = e.total ? static_cast<int>(e.current * 100 / e.total) : 0;
      auto& last = percent_[e.id];
      if (last == pct + 1 && e.status == status_[e.id]) return;
      last = pct + 1;
      text += " " + bar(e.current, e.total);
    }
    status_[e.id] = e.status;
    auto it = line_of_.find(e.id);
    if (it == line_of_.end()) {
      line_of_[e.id] = lines_++;
      out_ << text << "\n";
    } else {
      size_t up = lines_ - it->second;
      out_ << "\033[" << up << "A\r\033[2K" << text << "\033[" << up << "B\r";
    }
    out_.flush();
  }

 private:
  static std::string bar(uint64_t cur, uint64_t total) {
    std::string s;
    if (total) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(cur * 50 / total, 50));
      s = "[" + std::string(n ? n - 1 : 0, '=') + (n ? ">" : "") + std::string(50 - n, ' ') + "] ";
    }
    s += format::human_size(static_cast<double>(cur));
    if (total) s += "/" + format::human_size(static_cast<double>(total));
    return s;
  }

  std::ostream& out_;
  bool tty_;
  size_t lines_ = 0;
  std::map<std::string, size_t> line_of_;
  std::map<std::string, int> percent_;
  std::map<std::string, std::string> status_;
};

bool parse_tls_verify(Cli& cli, const std::string& v, bool* out) {
  if (v == "true" || v.empty()) {
    *out = true;
  } else if (v == "false") {
    *out = false;
  } else {
    cli.err << "invalid argument \"" << v << "\" for \"--tls-verify\" flag: strconv.ParseBool: "
            << "parsing \"" << v << "\": invalid syntax\n";
    cli.exit_code = 125;
    return false;
  }
  return true;
}

struct PullOpts {
  std::string image, platform, tls_verify = "true";
  bool all = false, quiet = false, no_trust = false;
};

void run_pull(Cli& cli, const PullOpts& o) {
  engine::PullRequest req;
  req.reference = o.image;
  req.platform = o.platform;
  req.all_tags = o.all;
  if (!parse_tls_verify(cli, o.tls_verify, &req.flags.tls_verify)) return;
  auto eng = cli.engine();
  if (!eng.ok()) return cli.fail(eng.error());
  ProgressPrinter printer(cli.out, ::isatty(STDOUT_FILENO));
  engine::EventFn events;
  if (!o.quiet) events = [&](const registry::ProgressEvent& e) { printer(e); };
  auto r = engine::pull_image(**eng, req, events);
  if (!r.ok()) return cli.fail(r.error());
  cli.out << *r << "\n";
}

}  // namespace

Status pull_missing_image(Cli& cli, engine::Engine& eng, const std::string& image) {
  auto ref = image::parse_docker_ref(image);
  cli.err << "Unable to find image '" << (ref.ok() ? ref->familiar_string() : image)
          << "' locally\n";
  engine::PullRequest req;
  req.reference = image;
  ProgressPrinter printer(cli.err, ::isatty(STDERR_FILENO));
  auto r = engine::pull_image(eng, req, [&](const registry::ProgressEvent& e) { printer(e); });
  if (!r.ok()) return std::move(r).error();
  return ok_status();
}

namespace {

struct PushOpts {
  std::string image, tls_verify = "true";
  bool all = false, quiet = false, no_trust = false;
};

void run_push(Cli& cli, const PushOpts& o) {
  engine::PushRequest req;
  req.reference = o.image;
  req.all_tags = o.all;
  if (!parse_tls_verify(cli, o.tls_verify, &req.flags.tls_verify)) return;
  auto eng = cli.engine();
  if (!eng.ok()) return cli.fail(eng.error());
  ProgressPrinter printer(cli.out, ::isatty(STDOUT_FILENO));
  engine::EventFn events;
  if (!o.quiet) events = [&](const registry::ProgressEvent& e) { printer(e); };
  auto st = engine::push_image(**eng, req, events);
  if (!st.ok()) return cli.fail(st.error());
  if (o.quiet) {
    auto ref = image::parse_normalized_named(o.image);
    if (ref.ok()) cli.out << (o.all ? ref->name() : image::with_default_tag(*ref).string()) << "\n";
  }
}

struct LoginOpts {
  std::string server, username, password, tls_verify = "true";
  bool password_stdin = false;
};

// Reads one line from the terminal with echo off (or from stdin as it is when not a tty).
std::string read_secret() {
  termios old{};
  bool tty = ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string s;
  std::getline(std::cin, s);
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    std::cout << "\n";
  }
  return s;
}

void run_login(Cli& cli, const LoginOpts& o) {
  engine::LoginRequest req;
  req.server = o.server;
  req.username = std::string(trim(o.username));
  req.password = o.password;
  if (!parse_tls_verify(cli, o.tls_verify, &req.flags.tls_verify)) return;
  if (!o.password.empty()) {
    cli.err << "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n";
    if (o.password_stdin)
      return cli.fail(invalid_argument("--password and --password-stdin are mutually exclusive"));
  }
  if (o.password_stdin) {
    if (req.username.empty())
      return cli.fail(invalid_argument("Must provide --username with --password-stdin"));
    std::string all((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    while (!all.empty() && (all.back() == '\n' || all.back() == '\r')) all.pop_back();
    req.password = all;
  }
  if (req.username.empty()) {
    std::string prev = engine::stored_username(o.server);
    cli.out << (prev.empty() ? "Username: " : "Username (" + prev + "): ") << std::flush;
    std::string u;
    std::getline(std::cin, u);
    req.username = std::string(trim(u));
    if (req.username.empty()) req.username = prev;
    if (req.username.empty()) return cli.fail(invalid_argument("Username cannot be empty"));
  }
  if (req.password.empty()) {
    cli.out << "Password: " << std::flush;
    req.password = read_secret();
    if (req.password.empty()) return cli.fail(invalid_argument("Password Required"));
  }
  auto r = engine::login(req);
  if (!r.ok()) return cli.fail(r.error());
  if (r->plain_text)
    cli.err << "WARNING! Your password will be stored unencrypted in " << r->config_path << ".\n"
            << "Configure a credential helper to remove this warning. See\n"
            << "https://docs.docker.com/engine/reference/commandline/login/#credentials-store\n\n";
  cli.out << "Login Succeeded\n";
}

void run_logout(Cli& cli, const std::string& server) {
  std::string shown = engine::server_display(server);
  auto r = engine::logout(server);
  if (!r.ok()) return cli.fail(r.error());
  if (!*r) {
    cli.out << "Not logged in to " << shown << "\n";
    return;
  }
  cli.out << "Removing login credentials for " << shown << "\n";
}

void add_pull(CLI::App* parent, Cli& cli) {
  auto o = std::make_shared<PullOpts>();
  auto* c = parent->add_subcommand("pull", "Download an image from a registry");
  c->add_flag("-a,--all-tags", o->all, "Download all tagged images in the repository");
  c->add_flag("-q,--quiet", o->quiet, "Suppress verbose output");
  c->add_option("--platform", o->platform, "Set platform if server is multi-platform capable");
  c->add_option("--tls-verify", o->tls_verify,
                "Require HTTPS and verify certificates when contacting registries")
      ->default_str("true")->expected(0, 1);
  c->add_flag("--disable-content-trust", o->no_trust, "Skip image verification (default true)");
  c->add_option("NAME", o->image, "NAME[:TAG|@DIGEST]")->required();
  c->callback([&cli, o] { run_pull(cli, *o); });
}

void add_push(CLI::App* parent, Cli& cli) {
  auto o = std::make_shared<PushOpts>();
  auto* c = parent->add_subcommand("push", "Upload an image to a registry");
  c->add_flag("-a,--all-tags", o->all, "Push all tags of an image to the repository");
  c->add_flag("-q,--quiet", o->quiet, "Suppress verbose output");
  c->add_option("--tls-verify", o->tls_verify,
                "Require HTTPS and verify certificates when contacting registries")
      ->default_str("true")->expected(0, 1);
  c->add_flag("--disable-content-trust", o->no_trust, "Skip image signing (default true)");
  c->add_option("NAME", o->image, "NAME[:TAG]")->required();
  c->callback([&cli, o] { run_push(cli, *o); });
}

}  // namespace

void register_registry_commands(CLI::App& app, Cli& cli) {
  add_pull(&app, cli);
  add_push(&app, cli);
  try {
    CLI::App* image = app.get_subcommand("image");
    add_pull(image, cli);
    add_push(image, cli);
  } catch (const CLI::OptionNotFound&) {
    // register_image_commands runs first; without the group there is nothing to add to.
  }

  auto lo = std::make_shared<LoginOpts>();
  auto* login = app.add_subcommand("login", "Log in to a registry");
  login->add_option("-u,--username", lo->username, "Username");
  login->add_option("-p,--password", lo->password, "Password or Personal Access Token");
  login->add_flag("--password-stdin", lo->password_stdin, "Take the password from stdin");
  login->add_option("--tls-verify", lo->tls_verify,
                    "Require HTTPS and verify certificates when contacting registries")
      ->default_str("true")->expected(0, 1);
  login->add_option("SERVER", lo->server, "Registry (default Docker Hub)");
  login->callback([&cli, lo] { run_login(cli, *lo); });

  auto server = std::make_shared<std::string>();
  auto* logout = app.add_subcommand("logout", "Log out from a registry");
  logout->add_option("SERVER", *server, "Registry (default Docker Hub)");
  logout->callback([&cli, server] { run_logout(cli, *server); });

  auto* manifest = app.add_subcommand("manifest", "Manage Docker image manifests");
  manifest->require_subcommand(1);
  auto ref = std::make_shared<std::string>();
  auto insecure = std::make_shared<bool>(false);
  auto* inspect =
      manifest->add_subcommand("inspect", "Display an image manifest, or manifest list");
  inspect->add_flag("--insecure", *insecure, "Allow communication with an insecure registry");
  inspect->add_option("MANIFEST", *ref, "Image reference")->required();
  inspect->callback([&cli, ref, insecure] {
    engine::RegistryFlags flags;
    flags.tls_verify = !*insecure;
    auto r = engine::inspect_remote_manifest(*ref, flags);
    if (!r.ok()) return cli.fail(r.error());
    cli.out << *r << "\n";
  });
}

}  // namespace berth::cli
