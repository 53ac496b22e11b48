// `inspect` and `image inspect`.
#include "cli/commands/commands.h"

namespace berth::cli {
namespace {

struct InspectOpts {
  std::vector<std::string> names;
  std::string format, type;
  bool size = false;
};

void run_inspect(Cli& cli, const InspectOpts& o, Kind kind) {
  auto eng = cli.engine();
  if (!eng.ok()) return cli.fail(eng.error());
  std::string type = kind == Kind::kAny ? o.type : kind == Kind::kImage ? "image" : "container";
  if (!type.empty() && type != "image" && type != "container")
    return cli.fail(invalid_argument("\"" + type + "\" is not a valid value for --type"));
  std::vector<nlohmann::ordered_json> objs;
  std::vector<Error> errors;
  for (const auto& n : o.names) {
    // Docker looks for a container first, then an image.
    Result<nlohmann::ordered_json> j = not_found("No such container: " + n);
    if (type != "image") j = (*eng)->inspect_container(n);
    if (!j.ok() && j.error().code() == Code::kNotFound && type != "container")
      j = (*eng)->inspect_image(n);
    if (j.ok()) {
      objs.push_back(std::move(*j));
    } else if (j.error().code() == Code::kNotFound) {
      // Docker's generic inspect says "No such object" since it looked for every kind.
      errors.push_back(kind != Kind::kAny ? std::move(j).error()
                                          : not_found("No such object: " + n));
    } else {
      errors.push_back(std::move(j).error());
    }
  }
  cli.print_objects(o.format, objs);
  for (const auto& e : errors) cli.fail(e);
}

}  // namespace

void add_inspect(CLI::App* parent, Cli& cli, Kind kind) {
  auto o = std::make_shared<InspectOpts>();
  const char* what = kind == Kind::kImage       ? "Display detailed information on one or more images"
                     : kind == Kind::kContainer ? "Display detailed information on one or more containers"
                                                : "Return low-level information on berth objects";
  auto* c = parent->add_subcommand("inspect", what);
  c->add_option("-f,--format", o->format, "Format output using a custom template");
  if (kind == Kind::kAny) c->add_option("--type", o->type, "Return JSON for specified type");
  if (kind != Kind::kImage)
    c->add_flag("-s,--size", o->size, "Display total file sizes if the type is container");
  c->add_option("NAME", o->names, "Names or ids")->required();
  c->callback([&cli, o, kind] { run_inspect(cli, *o, kind); });
}

}  // namespace berth::cli
