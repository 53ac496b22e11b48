// Wires the image commands into Docker's two spellings: `berth images` and `berth image ls`.
#include "cli/commands/commands.h"

namespace berth::cli {

void register_image_commands(CLI::App& app, Cli& cli) {
  add_images(&app, "images", cli);
  add_rmi(&app, "rmi", cli);
  add_tag(&app, cli);
  add_history(&app, cli);
  add_inspect(&app, cli, Kind::kAny);
  add_import(&app, cli);
  add_save(&app, cli);
  add_load(&app, cli);

  auto* image = app.add_subcommand("image", "Manage images");
  image->require_subcommand(1);
  add_images(image, "ls", cli);
  add_rmi(image, "rm", cli);
  add_tag(image, cli);
  add_history(image, cli);
  add_inspect(image, cli, Kind::kImage);
  add_import(image, cli);
  add_save(image, cli);
  add_load(image, cli);
  add_image_prune(image, cli);
}

}  // namespace berth::cli
