// `rmi` / `image rm`, `tag`, `image prune`.
#include "cli/commands/commands.h"
#include "format/units.h"

namespace berth::cli {
namespace {

struct RmiOpts {
  std::vector<std::string> images;
  bool force = false, no_prune = false;
};

void run_rmi(Cli& cli, const RmiOpts& o) {
  auto eng = cli.engine();
  if (!eng.ok()) return cli.fail(eng.error());
  // Like Docker: go on after a failure, report each, exit 1 if any failed.
  for (const auto& name : o.images) {
    auto ev = (*eng)->remove_image(name, o.force, !o.no_prune);
    if (!ev.ok()) {
      cli.fail(ev.error());
      continue;
    }
    for (const auto& e : *ev) cli.out << e.kind << ": " << e.what << "\n";
  }
}

struct PruneOpts {
  bool all = false, force = false;
  std::vector<std::string> filters;
};

void run_prune(Cli& cli, const PruneOpts& o) {
  std::string warning = o.all ? "WARNING! This will remove all images without at least one "
                                "container associated to them."
                              : "WARNING! This will remove all dangling images.";
  if (!o.force && !cli.confirm(warning)) return;
  auto eng = cli.engine();
  if (!eng.ok()) return cli.fail(eng.error());
  auto rep = (*eng)->prune_images(o.all, o.filters);
  if (!rep.ok()) return cli.fail(rep.error());
  if (!rep->events.empty()) {
    cli.out << "Deleted Images:\n";
    for (const auto& e : rep->events) cli.out << e.kind << ": " << e.what << "\n";
    cli.out << "\n";
  }
  cli.out << "Total reclaimed space: " << format::human_size(static_cast<double>(rep->reclaimed))
          << "\n";
}

}  // namespace

void add_rmi(CLI::App* parent, const std::string& name, Cli& cli) {
  auto o = std::make_shared<RmiOpts>();
  auto* c = parent->add_subcommand(name, "Remove one or more images");
  c->add_flag("-f,--force", o->force, "Force removal of the image");
  c->add_flag("--no-prune", o->no_prune, "Do not delete untagged parents");
  c->add_option("IMAGE", o->images, "Images")->required();
  c->callback([&cli, o] { run_rmi(cli, *o); });
  if (name == "rm") c->alias("remove");
}

void add_tag(CLI::App* parent, Cli& cli) {
  auto args = std::make_shared<std::vector<std::string>>();
  auto* c = parent->add_subcommand("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE");
  c->add_option("SOURCE_IMAGE TARGET_IMAGE", *args, "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]")
      ->required()
      ->expected(2);
  c->callback([&cli, args] {
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    auto st = (*eng)->tag_image((*args)[0], (*args)[1]);
    if (!st.ok()) cli.fail(st.error());
  });
}

void add_image_prune(CLI::App* parent, Cli& cli) {
  auto o = std::make_shared<PruneOpts>();
  auto* c = parent->add_subcommand("prune", "Remove unused images");
  c->add_flag("-a,--all", o->all, "Remove all unused images, not just dangling ones");
  c->add_flag("-f,--force", o->force, "Do not prompt for confirmation");
  c->add_option("--filter", o->filters, "Provide filter values (e.g. \"until=<timestamp>\")")
      ->allow_extra_args(false);
  c->callback([&cli, o] { run_prune(cli, *o); });
}

}  // namespace berth::cli
