// LayerStore::reconcile: bring layers/ and the layers table back in line after crashes.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "base/fs.h"
#include "base/log.h"
#include "snapshot/layer_store.h"

namespace berth::snapshot {

namespace {

Result<std::vector<std::string>> dir_names(const std::string& path) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(path.c_str()), ::closedir);
  if (!d) {
    if (errno == ENOENT) return std::vector<std::string>();
    return sys_error("opendir " + path);
  }
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* e = ::readdir(d.get())) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  if (errno != 0) return sys_error("readdir " + path);
  return names;
}

bool is_dir_number(const std::string& name) {
  return !name.empty() && name.size() <= 18 && name[0] != '0' &&
         std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Removing something another process removed meanwhile (release() after its commit) is fine.
Status remove_quietly(const std::string& path) {
  Status st = remove_all(path);
  if (!st.ok() && st.error().code() == Code::kNotFound) return {};
  return st;
}

// Removes a .tmp-* dir unless a live creator holds its lock. Returns whether it removed it.
Result<bool> remove_dead_temp(const std::string& path) {
  int raw = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (raw < 0) {
    if (errno == ENOENT) return false;
    if (errno != ENOTDIR && errno != ELOOP) return sys_error("open " + path);
  }
  UniqueFd fd(raw);
  if (fd && ::flock(fd.get(), LOCK_EX | LOCK_NB) < 0) {
    if (errno == EWOULDBLOCK) return false;
    return sys_error("lock " + path);
  }
  BERTH_TRY(remove_quietly(path));
  return true;
}

}  // namespace

Result<LayerStore::Reconciled> LayerStore::reconcile() {
  Reconciled out;
  // Holding the write lock means no live creator is between renaming its dir into place and
  // committing its row, so a numbered dir without a row really is a leftover.
  BERTH_ASSIGN_OR_RETURN(metadata::Tx tx, db_.begin());
  BERTH_ASSIGN_OR_RETURN(std::vector<Layer> layers, list());
  std::set<int64_t> known;
  for (const auto& l : layers) known.insert(l.dir);

  BERTH_ASSIGN_OR_RETURN(auto names, dir_names(layers_dir_));
  for (const auto& name : names) {
    std::string p = path_join(layers_dir_, name);
    if (name.starts_with(".tmp-")) {
      BERTH_ASSIGN_OR_RETURN(bool removed, remove_dead_temp(p));
      out.temp_dirs += removed;
    } else if (is_dir_number(name) && !known.count(std::stoll(name))) {
      BERTH_TRY(remove_quietly(p));
      ++out.orphan_dirs;
    }
  }
  BERTH_ASSIGN_OR_RETURN(out.missing_layers, remove_missing(layers));
  BERTH_TRY(tx.commit());
  if (out.total() > 0) {
    spdlog::info("layer store reconciled: {} temp dirs, {} orphan dirs, {} broken layers removed",
                 out.temp_dirs, out.orphan_dirs, out.missing_layers);
  }
  return out;
}

// Deletes the rows whose diff dir is gone and every descendant of them, children first.
Result<uint64_t> LayerStore::remove_missing(const std::vector<Layer>& all) {
  std::map<std::string, const Layer*> by_id;
  std::multimap<std::string, const Layer*> children;
  for (const auto& l : all) {
    by_id[l.chain_id] = &l;
    if (!l.parent.empty()) children.emplace(l.parent, &l);
  }
  std::set<std::string> doomed;
  std::vector<const Layer*> todo;
  for (const auto& l : all) {
    if (!path_exists(l.path)) todo.push_back(&l);
  }
  while (!todo.empty()) {
    const Layer* l = todo.back();
    todo.pop_back();
    if (!doomed.insert(l->chain_id).second) continue;
    auto [b, e] = children.equal_range(l->chain_id);
    for (auto it = b; it != e; ++it) todo.push_back(it->second);
  }

  auto depth = [&](const Layer* l) {
    int d = 0;
    for (auto it = by_id.find(l->parent); it != by_id.end(); it = by_id.find(it->second->parent)) {
      ++d;
    }
    return d;
  };
  std::vector<std::pair<int, const Layer*>> order;
  for (const auto& id : doomed) order.emplace_back(depth(by_id[id]), by_id[id]);
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });

  for (const auto& [d, l] : order) {
    spdlog::warn("layer {} ({}) is missing or sits on a missing layer; removing it", l->chain_id,
                 l->path);
    Layer copy = *l;
    // A parent that is removed too loses nothing worth counting; a surviving one loses the child.
    if (doomed.count(copy.parent)) copy.parent.clear();
    BERTH_TRY(drop_layer(copy));
  }
  return static_cast<uint64_t>(order.size());
}

}  // namespace berth::snapshot
