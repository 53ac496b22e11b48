// `import`, `save`, `load`: images to and from tar streams.
#include <fcntl.h>
#include <unistd.h>

#include "base/fs.h"
#include "cli/commands/commands.h"

namespace berth::cli {
namespace {

struct ImportOpts {
  std::string source, reference, message, platform;
  std::vector<std::string> changes;
};

void run_import(Cli& cli, const ImportOpts& o) {
  if (o.source.rfind("http://", 0) == 0 || o.source.rfind("https://", 0) == 0)
    return cli.fail(unimplemented("importing from a URL is not supported: download " + o.source +
                                  " and import the file, or pipe it to `berth import -`"));
  UniqueFd file;
  int fd = STDIN_FILENO;
  if (o.source != "-") {
    auto f = open_file(o.source, O_RDONLY);
    if (!f.ok()) return cli.fail(f.error());
    file = std::move(*f);
    fd = file.get();
  }
  auto eng = cli.engine();
  if (!eng.ok()) return cli.fail(eng.error());
  image::ImportOptions io;
  io.changes = o.changes;
  io.message = o.message;
  io.source = o.source;
  io.platform = o.platform;
  auto img = (*eng)->import_image(fd, io, o.reference);
  if (!img.ok()) return cli.fail(img.error());
  cli.out << img->id << "\n";
}

struct SaveOpts {
  std::vector<std::string> images;
  std::string output;
};

void run_save(Cli& cli, const SaveOpts& o) {
  if (o.output.empty() && ::isatty(STDOUT_FILENO))
    return cli.fail(invalid_argument(
        "cowardly refusing to save to a terminal. Use the -o flag or redirect"));
  auto eng = cli.engine();
  if (!eng.ok()) return cli.fail(eng.error());
  if (o.output.empty()) {
    auto st = (*eng)->save_images(o.images, STDOUT_FILENO);
    if (!st.ok()) cli.fail(st.error());
    return;
  }
  // Written beside the target and renamed at the end: a failed save leaves no partial file.
  std::string tmp = path_join(dirname(o.output), "." + basename(o.output) + ".berth-tmp");
  auto f = open_file(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (!f.ok()) return cli.fail(f.error().context("failed to save image"));
  auto st = (*eng)->save_images(o.images, f->get());
  if (st.ok() && ::fsync(f->get()) < 0) st = sys_error("fsync " + tmp);
  f->reset();
  if (st.ok() && ::rename(tmp.c_str(), o.output.c_str()) < 0) st = sys_error("rename " + tmp);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    cli.fail(st.error());
  }
}

struct LoadOpts {
  std::string input;
  bool quiet = false;
};

void run_load(Cli& cli, const LoadOpts& o) {
  UniqueFd file;
  int fd = STDIN_FILENO;
  if (!o.input.empty()) {
    auto f = open_file(o.input, O_RDONLY);
    if (!f.ok()) return cli.fail(f.error());
    file = std::move(*f);
    fd = file.get();
  } else if (::isatty(STDIN_FILENO)) {
    return cli.fail(invalid_argument(
        "requested load from stdin, but stdin is empty (use -i or redirect a tar file)"));
  }
  auto eng = cli.engine();
  if (!eng.ok()) return cli.fail(eng.error());
  auto lines = (*eng)->load_images(fd);
  if (!lines.ok()) return cli.fail(lines.error());
  for (const auto& l : *lines) cli.out << l << "\n";
}

}  // namespace

void add_import(CLI::App* parent, Cli& cli) {
  auto o = std::make_shared<ImportOpts>();
  auto* c = parent->add_subcommand(
      "import", "Import the contents from a tarball to create a filesystem image");
  c->add_option("-c,--change", o->changes, "Apply Dockerfile instruction to the created image")
      ->allow_extra_args(false);
  c->add_option("-m,--message", o->message, "Set commit message for imported image");
  c->add_option("--platform", o->platform, "Set platform if server is multi-platform capable");
  c->add_option("file", o->source, "file|- (tar, optionally compressed)")->required();
  c->add_option("REPOSITORY", o->reference, "REPOSITORY[:TAG]");
  c->callback([&cli, o] { run_import(cli, *o); });
}

void add_save(CLI::App* parent, Cli& cli) {
  auto o = std::make_shared<SaveOpts>();
  auto* c = parent->add_subcommand(
      "save", "Save one or more images to a tar archive (streamed to STDOUT by default)");
  c->add_option("-o,--output", o->output, "Write to a file, instead of STDOUT");
  c->add_option("IMAGE", o->images, "Images")->required();
  c->callback([&cli, o] { run_save(cli, *o); });
}

void add_load(CLI::App* parent, Cli& cli) {
  auto o = std::make_shared<LoadOpts>();
  auto* c = parent->add_subcommand("load", "Load an image from a tar archive or STDIN");
  c->add_option("-i,--input", o->input, "Read from tar archive file, instead of STDIN");
  c->add_flag("-q,--quiet", o->quiet, "Suppress the load output");
  c->callback([&cli, o] { run_load(cli, *o); });
}

}  // namespace berth::cli
