// `berth build` / `berth image build` / `berth builder prune`: flags as Docker's (BuildKit) CLI,
// progress in BuildKit's plain form on stderr, the image id on stdout with -q.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include "archive/archive.h"
#include "base/fs.h"
#include "base/strings.h"
#include "cli/cli.h"
#include "engine/build.h"
#include "format/units.h"

namespace berth::cli {
namespace {

struct BuildOpts {
  std::vector<std::string> tags, build_args, labels, secrets;
  std::string file, target, progress = "auto", iidfile, network = "default", platform, context;
  std::vector<std::string> outputs;
  bool no_cache = false, quiet = false, pull = false, rm = true, force_rm = false;
};

std::string absolute(const std::string& p) {
  if (!p.empty() && p[0] == '/') return p;
  char buf[4096];
  if (!::getcwd(buf, sizeof buf)) return p;
  return path_join(buf, p);
}

Result<std::string> read_stdin() {
  std::string data;
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("reading stdin");
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  return data;
}

bool looks_like_tar(std::string_view data) {
  if (archive::detect_compression(data.substr(0, 16)) != archive::Compression::kNone) return true;
  return data.size() >= 262 && data.substr(257, 5) == "ustar";
}

Result<engine::BuildSecret> parse_secret(const std::string& v) {
  engine::BuildSecret s;
  std::string type;
  for (const auto& f : split(v, ',')) {
    auto kv = split_once(f, '=');
    if (kv.first == "id") s.id = kv.second;
    else if (kv.first == "src" || kv.first == "source") s.src = absolute(kv.second);
    else if (kv.first == "env") s.env = kv.second;
    else if (kv.first == "type") type = kv.second;
    else return invalid_argument("invalid value \"" + v + "\" for flag --secret: unexpected key '" + kv.first + "' in '" + f + "'");
  }
  if (type == "env" && s.env.empty() && !s.src.empty()) {
    s.env = basename(s.src);
    s.src.clear();
  }
  if (s.id.empty()) s.id = !s.env.empty() ? s.env : basename(s.src);
  if (s.id.empty()) return invalid_argument("invalid value \"" + v + "\" for flag --secret: id is required");
  return s;
}

// BuildKit's error view: the failing line of the Dockerfile, then the error.
void print_error(Cli& cli, const Error& e, const std::string& df_name, const std::string& df_text) {
  std::string msg = e.message();
  std::string prefix = df_name + ":";
  if (msg.rfind(prefix, 0) == 0) {
    size_t colon = msg.find(": ", prefix.size());
    std::string num = msg.substr(prefix.size(), colon - prefix.size());
    int line = 0;
    try {
      line = std::stoi(num);
    } catch (...) {
    }
    if (line > 0 && colon != std::string::npos) {
      auto lines = split(df_text, '\n');
      cli.err << df_name << ":" << line << "\n--------------------\n";
      for (int i = std::max(1, line - 2); i <= line && i <= static_cast<int>(lines.size()); ++i)
        cli.err << "  " << (i < 10 ? " " : "") << i << " | " << (i == line ? ">>> " : "    ")
                << lines[static_cast<size_t>(i - 1)] << "\n";
      cli.err << "--------------------\n";
      msg = msg.substr(colon + 2);
    }
  }
  cli.err << "ERROR: failed to solve: " << msg << "\n";
  cli.exit_code = 1;
}

void run_build(Cli& cli, BuildOpts& o) {
  auto eng = cli.engine();
  if (!eng.ok()) return cli.fail(eng.error());
  const char* bp = std::getenv("BUILDKIT_PROGRESS");
  if (o.progress == "auto" && bp && *bp) o.progress = bp;
  if (o.progress != "auto" && o.progress != "plain" && o.progress != "tty" &&
      o.progress != "quiet" && o.progress != "rawjson")
    return cli.fail(invalid_argument("invalid progress mode \"" + o.progress + "\""), 125);
  std::vector<engine::BuildOutput> outputs;
  for (const auto& v : o.outputs) {
    auto out = engine::parse_build_output(v);
    if (!out.ok()) return cli.fail(out.error(), 125);
    outputs.push_back(*out);
  }
  for (const auto& t : o.tags) {
    auto r = image::parse_docker_ref(t);
    if (!r.ok()) return cli.fail(invalid_argument("invalid argument \"" + t + "\" for \"-t, --tag\" flag: " + r.error().message()), 125);
  }
  engine::BuildRequest req;
  req.progress = o.progress == "tty" || (o.progress == "auto" && ::isatty(STDERR_FILENO)) ? "tty" : "plain";
  {
    struct winsize ws {};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col) req.tty_width = ws.ws_col;
  }
  req.tags = o.tags;
  req.target = o.target;
  req.no_cache = o.no_cache;
  req.pull = o.pull;
  req.network = o.network;
  req.platform = o.platform;
  for (const auto& a : o.build_args) {
    auto kv = split_once(a, '=');
    req.build_args.emplace_back(kv.first, kv.found ? std::optional<std::string>(kv.second) : std::nullopt);
    if (kv.first == "SOURCE_DATE_EPOCH" && kv.found) {
      try {
        req.source_date_epoch = std::stoll(kv.second);
      } catch (...) {
      }
    }
  }
  if (!req.source_date_epoch)
    if (const char* sde = std::getenv("SOURCE_DATE_EPOCH"); sde && *sde) {
      try {
        req.source_date_epoch = std::stoll(sde);
      } catch (...) {
        return cli.fail(invalid_argument("invalid SOURCE_DATE_EPOCH: " + std::string(sde)), 125);
      }
    }
  for (const auto& l : o.labels) {
    auto kv = split_once(l, '=');
    req.labels.emplace_back(kv.first, kv.second);
  }
  for (const auto& s : o.secrets) {
    auto sec = parse_secret(s);
    if (!sec.ok()) return cli.fail(sec.error(), 125);
    req.secrets.push_back(*sec);
  }

  // The context: a directory, or a tar (or a lone Dockerfile) on stdin.
  std::optional<TempDir> stdin_ctx;
  std::string stdin_dockerfile;
  if (o.context == "-") {
    if (o.file == "-") return cli.fail(invalid_argument("invalid argument: can't use stdin for both build context and dockerfile"), 125);
    auto data = read_stdin();
    if (!data.ok()) return cli.fail(data.error());
    auto tmp = TempDir::create((*eng)->store().tmp_dir(), "build-context-");
    if (!tmp.ok()) return cli.fail(tmp.error());
    stdin_ctx = std::move(*tmp);
    if (looks_like_tar(*data)) {
      std::string tar = path_join(stdin_ctx->path(), "context.tar");
      std::string dir = path_join(stdin_ctx->path(), "context");
      auto st = atomic_write_file(tar, *data, 0600);
      if (st.ok()) st = mkdir_all(dir, 0755);
      if (!st.ok()) return cli.fail(st.error());
      auto fd = open_file(tar, O_RDONLY);
      if (!fd.ok()) return cli.fail(fd.error());
      archive::ApplyOptions ao;
      ao.overlay_whiteouts = false;
      ao.allow_devices = false;
      auto r = archive::apply_layer(fd->get(), dir, ao);
      if (!r.ok()) return cli.fail(std::move(r).error().context("reading the build context"));
      req.context_dir = dir;
    } else {
      stdin_dockerfile = *data;
      req.context_dir = path_join(stdin_ctx->path(), "empty");
      (void)mkdir_all(req.context_dir, 0755);
    }
  } else {
    req.context_dir = absolute(o.context);
    struct stat st;
    if (::stat(req.context_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return cli.fail(invalid_argument("unable to prepare context: path \"" + o.context + "\" not found"));
  }
  if (o.file == "-") {
    auto data = read_stdin();
    if (!data.ok()) return cli.fail(data.error());
    req.dockerfile_text = *data;
  } else if (!stdin_dockerfile.empty() && o.file.empty()) {
    req.dockerfile_text = stdin_dockerfile;
  } else {
    std::string path;
    if (o.file.empty()) {
      path = path_join(req.context_dir, "Dockerfile");
      if (!path_exists(path) && path_exists(path_join(req.context_dir, "dockerfile")))
        path = path_join(req.context_dir, "dockerfile");
    } else {
      // -f is relative to the current directory, as Docker's CLI; then to the context.
      path = absolute(o.file);
      if (!path_exists(path) && o.file[0] != '/') path = path_join(req.context_dir, o.file);
    }
    auto text = read_file(path);
    if (!text.ok())
      return cli.fail(invalid_argument("failed to solve: failed to read dockerfile: open " +
                                       basename(path) + ": no such file or directory"));
    req.dockerfile_text = *text;
    req.dockerfile_name = basename(path);
  }

  std::ostringstream sink;
  std::ostream& progress = (o.quiet || o.progress == "quiet") ? static_cast<std::ostream&>(sink) : cli.err;
  auto r = engine::build_image(**eng, req, progress);
  if (!r.ok()) {
    if (o.quiet) cli.err << sink.str();
    return print_error(cli, r.error(), req.dockerfile_name, req.dockerfile_text);
  }
  if (!o.iidfile.empty()) {
    auto st = atomic_write_file(absolute(o.iidfile), r->image_id);
    if (!st.ok()) return cli.fail(st.error());
  }
  for (const auto& out : outputs) {
    auto st = engine::write_build_output(**eng, r->image_id, out);
    if (!st.ok()) return cli.fail(std::move(st).error().context("writing --output " + out.type));
  }
  if (o.quiet) cli.out << r->image_id << "\n";
}

void add_build(CLI::App* parent, Cli& cli) {
  auto o = std::make_shared<BuildOpts>();
  auto* c = parent->add_subcommand("build", "Build an image from a Dockerfile");
  c->add_option("-t,--tag", o->tags, "Name and optionally a tag (format: \"name:tag\")")->allow_extra_args(false);
  c->add_option("-f,--file", o->file, "Name of the Dockerfile (default: \"PATH/Dockerfile\")");
  c->add_option("--build-arg", o->build_args, "Set build-time variables")->allow_extra_args(false);
  c->add_option("--label", o->labels, "Set metadata for an image")->allow_extra_args(false);
  c->add_option("--target", o->target, "Set the target build stage to build");
  c->add_flag("--no-cache", o->no_cache, "Do not use cache when building the image");
  c->add_flag("--pull", o->pull, "Always attempt to pull all referenced images");
  c->add_option("--secret", o->secrets, "Secret to expose to the build (format: \"id=mysecret[,src=/local/secret]\")")->allow_extra_args(false);
  c->add_option("--progress", o->progress, "Set type of progress output (\"auto\", \"plain\", \"tty\", \"quiet\")");
  c->add_flag("-q,--quiet", o->quiet, "Suppress the build output and print image ID on success");
  c->add_option("--iidfile", o->iidfile, "Write the image ID to the file");
  c->add_option("--network", o->network, "Set the networking mode for the RUN instructions during build");
  c->add_option("--platform", o->platform, "Set target platform for build");
  c->add_option("-o,--output", o->outputs, "Output destination (format: \"type=local,dest=path\")")->allow_extra_args(false);
  c->add_flag("--rm", o->rm, "Remove intermediate containers after a successful build");
  c->add_flag("--force-rm", o->force_rm, "Always remove intermediate containers");
  c->add_option("PATH", o->context, "PATH | -")->required();
  c->callback([&cli, o] { run_build(cli, *o); });
}

}  // namespace

void register_build_commands(CLI::App& app, Cli& cli) {
  add_build(&app, cli);
  try {
    add_build(app.get_subcommand("image"), cli);
  } catch (const CLI::OptionNotFound&) {
  }
  auto* builder = app.add_subcommand("builder", "Manage builds");
  builder->require_subcommand(1);
  add_build(builder, cli);
  auto* prune = builder->add_subcommand("prune", "Remove build cache");
  auto all = std::make_shared<bool>(false);
  auto force = std::make_shared<bool>(false);
  prune->add_flag("-a,--all", *all, "Remove all unused build cache, not just dangling ones");
  prune->add_flag("-f,--force", *force, "Do not prompt for confirmation");
  prune->callback([&cli, all, force] {
    if (!*force && !cli.confirm(*all ? "WARNING! This will remove all build cache."
                                     : "WARNING! This will remove all dangling build cache."))
      return;
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    auto freed = engine::prune_build_cache(**eng, *all);
    if (!freed.ok()) return cli.fail(freed.error());
    cli.out << "Total:\t" << format::human_size(static_cast<double>(*freed)) << "\n";
  });
}

}  // namespace berth::cli
