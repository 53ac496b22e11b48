// `inspect` and `image inspect`.
#include "cli/commands/commands.h"

namespace berth::cli {
namespace {

struct InspectOpts {
  std::vector<std::string> names;
  std::string format, type;
  bool size = false;
};

void run_inspect(Cli& cli, const InspectOpts& o, bool images_only) {
  auto eng = cli.engine();
  if (!eng.ok()) return cli.fail(eng.error());
  if (!o.type.empty() && o.type != "image")
    return cli.fail(invalid_argument("\"" + o.type + "\" is not a valid value for --type"));
  std::vector<nlohmann::ordered_json> objs;
  std::vector<Error> errors;
  for (const auto& n : o.names) {
    auto j = (*eng)->inspect_image(n);
    if (j.ok()) {
      objs.push_back(std::move(*j));
    } else if (j.error().code() == Code::kNotFound) {
      // Docker's generic inspect says "No such object" since it looked for every kind.
      errors.push_back(images_only ? std::move(j).error()
                                   : not_found("No such object: " + n));
    } else {
      errors.push_back(std::move(j).error());
    }
  }
  cli.print_objects(o.format, objs);
  for (const auto& e : errors) cli.fail(e);
}

}  // namespace

void add_inspect(CLI::App* parent, Cli& cli, bool images_only) {
  auto o = std::make_shared<InspectOpts>();
  auto* c = parent->add_subcommand(
      "inspect", images_only ? "Display detailed information on one or more images"
                             : "Return low-level information on Docker objects");
  c->add_option("-f,--format", o->format, "Format output using a custom template");
  if (!images_only) {
    c->add_option("--type", o->type, "Return JSON for specified type");
    c->add_flag("-s,--size", o->size, "Display total file sizes if the type is container");
  }
  c->add_option("NAME", o->names, "Names or ids")->required();
  c->callback([&cli, o, images_only] { run_inspect(cli, *o, images_only); });
}

}  // namespace berth::cli
