// save/load: resolve names with Docker's rules, then hand over to image/save_load.
#include "engine/engine.h"
#include "image/save_load.h"

namespace berth::engine {

Status Engine::save_images(const std::vector<std::string>& names, int out_fd) {
  std::vector<image::SaveItem> items;
  BERTH_ASSIGN_OR_RETURN(auto all, store_->list());
  for (const auto& n : names) {
    // A repository name without a tag saves every tag of that repository, as Docker does.
    auto ref = image::parse_normalized_named(n);
    if (ref.ok() && !ref->has_tag() && !ref->has_digest() && !image::could_be_id_prefix(n)) {
      bool found = false;
      for (const auto& img : all) {
        image::SaveItem item{img, {}};
        for (const auto& t : img.tags) {
          auto tr = image::parse_normalized_named(t);
          if (tr.ok() && tr->name() == ref->name()) item.tags.push_back(*tr);
        }
        if (!item.tags.empty()) {
          items.push_back(std::move(item));
          found = true;
        }
      }
      if (found) continue;
    }
    BERTH_ASSIGN_OR_RETURN(auto img, store_->resolve(n));
    image::SaveItem item{img, {}};
    if (ref.ok() && ref->has_tag()) item.tags.push_back(*ref);
    items.push_back(std::move(item));
  }
  BERTH_ASSIGN_OR_RETURN(UniqueFd lock, lock_store(false));
  return image::save_archive(*store_, items, out_fd);
}

Result<std::vector<std::string>> Engine::load_images(int in_fd) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd lock, lock_store(false));
  BERTH_ASSIGN_OR_RETURN(auto loaded, image::load_archive(*store_, in_fd));
  std::vector<std::string> lines;
  for (const auto& l : loaded) {
    if (l.tags.empty()) lines.push_back("Loaded image ID: " + l.image.id);
    for (const auto& t : l.tags) lines.push_back("Loaded image: " + t);
  }
  return lines;
}

}  // namespace berth::engine
