// `cp`, `diff`, `export`, `commit`, `pause`, `unpause`, `rename`: Docker's flags and output.
#include <fcntl.h>
#include <unistd.h>

#include "base/fs.h"
#include "cli/commands/commands.h"
#include "format/units.h"

namespace berth::cli {
namespace {

// Docker's splitCpArg: "name:path" names a container unless the argument is a local path
// ("/...", "./...", or anything without a colon).
struct CpArg {
  std::string container, path;
};
CpArg split_cp_arg(const std::string& a) {
  if (a.empty() || a[0] == '/' || a[0] == '.') return {"", a};
  auto i = a.find(':');
  if (i == std::string::npos) return {"", a};
  return {a.substr(0, i), a.substr(i + 1)};
}

void add_cp(CLI::App* parent, Cli& cli) {
  struct Opts {
    std::string src, dest;
    bool archive = false, follow = false, quiet = false;
  };
  auto o = std::make_shared<Opts>();
  auto* c = parent->add_subcommand("cp", "Copy files/folders between a container and the local filesystem");
  c->add_flag("-a,--archive", o->archive, "Archive mode (copy all uid/gid information)");
  c->add_flag("-L,--follow-link", o->follow, "Always follow symbol link in SRC_PATH");
  c->add_flag("-q,--quiet", o->quiet, "Suppress progress output during copy");
  c->add_option("SRC", o->src, "CONTAINER:SRC_PATH or SRC_PATH|-")->required();
  c->add_option("DEST", o->dest, "DEST_PATH|- or CONTAINER:DEST_PATH")->required();
  c->callback([&cli, o] {
    CpArg src = split_cp_arg(o->src), dest = split_cp_arg(o->dest);
    if (src.container.empty() && dest.container.empty())
      return cli.fail(invalid_argument("must specify at least one container source"));
    if (!src.container.empty() && !dest.container.empty())
      return cli.fail(invalid_argument("copying between containers is not supported"));
    if (src.path.empty() || dest.path.empty())
      return cli.fail(invalid_argument("filepath cannot be empty"));
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    Result<uint64_t> n = uint64_t{0};
    std::string where;
    if (!src.container.empty()) {
      if (dest.path == "-" && ::isatty(STDOUT_FILENO))
        return cli.fail(invalid_argument("cowardly refusing to write a tar to a terminal"));
      cli.out.flush();
      n = (*eng)->copy_from_container(src.container, src.path, dest.path, STDOUT_FILENO, o->follow);
      where = dest.path;
    } else {
      n = (*eng)->copy_to_container(dest.container, src.path, dest.path, STDIN_FILENO, o->archive,
                                    o->follow);
      where = o->dest;
    }
    if (!n.ok()) return cli.fail(n.error());
    // As Docker: the summary only where a person watches stderr.
    if (!o->quiet && where != "-" && ::isatty(STDERR_FILENO))
      cli.err << "Successfully copied " << format::human_size(static_cast<double>(*n)) << " to "
              << where << "\n";
  });
}

void add_diff(CLI::App* parent, Cli& cli) {
  auto name = std::make_shared<std::string>();
  auto* c = parent->add_subcommand("diff", "Inspect changes to files or directories on a container's filesystem");
  c->add_option("CONTAINER", *name, "Container")->required();
  c->callback([&cli, name] {
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    auto ch = (*eng)->container_changes(*name);
    if (!ch.ok()) return cli.fail(ch.error());
    for (const auto& l : *ch) cli.out << l << "\n";
  });
}

void add_export(CLI::App* parent, Cli& cli) {
  auto name = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  auto* c = parent->add_subcommand("export", "Export a container's filesystem as a tar archive");
  c->add_option("-o,--output", *output, "Write to a file, instead of STDOUT");
  c->add_option("CONTAINER", *name, "Container")->required();
  c->callback([&cli, name, output] {
    if (output->empty() && ::isatty(STDOUT_FILENO))
      return cli.fail(invalid_argument(
          "cowardly refusing to save to a terminal. Use the -o flag or redirect"));
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    if (output->empty()) {
      cli.out.flush();
      auto st = (*eng)->export_container(*name, STDOUT_FILENO);
      if (!st.ok()) cli.fail(st.error());
      return;
    }
    // Into a temp file renamed into place: an interrupted export leaves no partial tar.
    std::string tmp = *output + ".berth-tmp";
    auto fd = open_file(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (!fd.ok()) return cli.fail(fd.error());
    auto st = (*eng)->export_container(*name, fd->get());
    if (st.ok() && ::fsync(fd->get()) != 0) st = sys_error("fsync " + tmp);
    if (st.ok() && ::rename(tmp.c_str(), output->c_str()) != 0) st = sys_error("rename " + tmp);
    if (!st.ok()) {
      ::unlink(tmp.c_str());
      cli.fail(st.error());
    }
  });
}

void add_commit(CLI::App* parent, Cli& cli) {
  struct Opts {
    std::string container, reference;
    engine::CommitOptions co;
  };
  auto o = std::make_shared<Opts>();
  auto* c = parent->add_subcommand("commit", "Create a new image from a container's changes");
  c->add_option("-a,--author", o->co.author, "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")");
  c->add_option("-c,--change", o->co.changes, "Apply Dockerfile instruction to the created image")
      ->allow_extra_args(false);
  c->add_option("-m,--message", o->co.message, "Commit message");
  c->add_flag("-p,--pause,!--no-pause", o->co.pause, "Pause container during commit");
  c->add_option("CONTAINER", o->container, "Container")->required();
  c->add_option("REPOSITORY", o->reference, "REPOSITORY[:TAG]");
  c->callback([&cli, o] {
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    o->co.reference = o->reference;
    auto id = (*eng)->commit_container(o->container, o->co);
    if (!id.ok()) return cli.fail(id.error());
    cli.out << *id << "\n";
  });
}

void add_pause_unpause(CLI::App* parent, Cli& cli) {
  for (bool pause : {true, false}) {
    auto names = std::make_shared<std::vector<std::string>>();
    auto* c = parent->add_subcommand(pause ? "pause" : "unpause",
                                     pause ? "Pause all processes within one or more containers"
                                           : "Unpause all processes within one or more containers");
    c->add_option("CONTAINER", *names, "Containers")->required();
    c->callback([&cli, names, pause] {
      auto eng = cli.engine();
      if (!eng.ok()) return cli.fail(eng.error());
      for (const auto& n : *names) {
        auto st = pause ? (*eng)->pause_container(n) : (*eng)->unpause_container(n);
        if (st.ok()) cli.out << n << "\n";
        else cli.fail(st.error());
      }
    });
  }
}

void add_rename(CLI::App* parent, Cli& cli) {
  auto from = std::make_shared<std::string>();
  auto to = std::make_shared<std::string>();
  auto* c = parent->add_subcommand("rename", "Rename a container");
  c->add_option("CONTAINER", *from, "Container")->required();
  c->add_option("NEW_NAME", *to, "New name")->required();
  c->callback([&cli, from, to] {
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    auto st = (*eng)->rename_container(*from, *to);
    if (!st.ok()) cli.fail(st.error());
  });
}

}  // namespace

void add_container_fs_commands(CLI::App* parent, Cli& cli) {
  add_cp(parent, cli);
  add_diff(parent, cli);
  add_export(parent, cli);
  add_commit(parent, cli);
  add_pause_unpause(parent, cli);
  add_rename(parent, cli);
}

}  // namespace berth::cli
