// COPY, ADD and WORKDIR: a staging directory filled from the context (or another stage or
// image), then committed as the step's layer.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "archive/archive.h"
#include "base/fs.h"
#include "base/strings.h"
#include "build/cache_key.h"
#include "engine/build_git.h"
#include "engine/build_link.h"
#include "engine/build_steps.h"
#include "runtime/spec.h"

namespace berth::engine::buildimpl {
namespace {

using build::Instruction;

// Expands a source pattern against a view, component by component (Go's filepath.Glob).
Result<std::vector<std::string>> glob(const LayerView& view, const std::string& pattern,
                                      const build::IgnoreMatcher* ignore) {
  std::vector<std::string> cur{""};
  for (const auto& part : split(pattern, '/')) {
    if (part.empty() || part == ".") continue;
    std::vector<std::string> next;
    for (const auto& base : cur) {
      if (!build::has_glob(part)) {
        std::string p = base.empty() ? part : base + "/" + part;
        if (view.find(p)) next.push_back(p);
        continue;
      }
      for (const auto& name : view.list(base)) {
        BERTH_ASSIGN_OR_RETURN(bool m, build::glob_match(part, name));
        std::string p = base.empty() ? name : base + "/" + name;
        if (m && !(ignore && ignore->excluded(p))) next.push_back(p);
      }
    }
    cur = std::move(next);
  }
  return cur;
}

// The name of a heredoc source word: "<<EOF", "<<-EOF", "<<'EOF'" and "<<\"EOF\"" all name EOF.
std::string heredoc_name(const std::string& word) {
  std::string name = word.substr(word.find_first_not_of("<-"));
  if (name.size() >= 2 && (name[0] == '"' || name[0] == '\'')) name = name.substr(1, name.size() - 2);
  return name;
}

bool looks_like_archive(const std::string& path) {
  auto fd = open_file(path, O_RDONLY);
  if (!fd.ok()) return false;
  char buf[512];
  ssize_t n = ::pread(fd->get(), buf, sizeof buf, 0);
  if (n < 10) return false;
  if (archive::detect_compression(std::string_view(buf, static_cast<size_t>(n))) !=
      archive::Compression::kNone)
    return true;
  return n >= 262 && std::string_view(buf + 257, 5) == "ustar";
}

}  // namespace

Status Builder::copy_step(Stage& s, const Instruction& ins, int n) {
  State& st = s.state;
  bool add = ins.keyword == "add";
  // --link is accepted and changes nothing: berth does not rebase cached layers onto new bases.
  if (add) BERTH_TRY(build::check_flags(ins, {"chown", "chmod", "link", "checksum", "keep-git-dir"}));
  else BERTH_TRY(build::check_flags(ins, {"from", "chown", "chmod", "link"}));
  auto v = vars(st);
  char esc = df_.escape;
  std::vector<std::string> words;
  if (ins.json) {
    for (const auto& a : ins.json_args) {
      BERTH_ASSIGN_OR_RETURN(auto e, build::expand_word(a, v, esc));
      words.push_back(e);
    }
  } else {
    BERTH_ASSIGN_OR_RETURN(words, build::expand_words(ins.args, v, esc));
  }
  std::string kw = add ? "ADD" : "COPY";
  if (words.size() < 2)
    return build::parse_error(ins.line, kw + " requires at least two arguments, but only one was provided. Destination could not be determined.");
  std::string dest = words.back();
  words.pop_back();
  std::string workdir = st.cfg.config.working_dir.empty() ? "/" : st.cfg.config.working_dir;
  bool dest_dir = dest.back() == '/' || words.size() > 1;
  if (dest == "." || dest == "./") dest_dir = true;
  std::string dest_abs = build::clean_path(dest[0] == '/' ? dest : workdir + "/" + dest);
  std::string dest_rel = dest_abs == "/" ? "" : dest_abs.substr(1);
  if (dest_abs == "/") dest_dir = true;

  // Where the sources come from.
  std::vector<std::string> src_lowers{req_.context_dir};
  std::string from_id;
  // The source's top layer: read unpinned to find the sources and the cache key (a race with
  // `rmi` can only fail the step), pinned before the files are copied (cache miss).
  std::string from_top;
  const build::IgnoreMatcher* ignore = &ignore_;  // the context's; none for another stage
  if (auto f = build::flag_value(ins.flags, "from")) {
    BERTH_ASSIGN_OR_RETURN(auto name, build::expand_word(*f, v, esc));
    ignore = nullptr;
    auto other = stage_by_name(name);
    if (other.ok() && (*other)->index != s.index) {  // built first (Builder::run orders stages)
      if (!(*other)->state.done) return invalid_argument("stage " + name + " was not built");
      from_id = (*other)->state.key;
      src_lowers.clear();
      if (!(*other)->state.top_layer.empty()) {
        from_top = (*other)->state.top_layer;
        BERTH_ASSIGN_OR_RETURN(src_lowers, eng_.store().layers().lowerdirs((*other)->state.top_layer));
      }
    } else if (other.ok()) {
      return invalid_argument("circular dependency detected on stage: " + name);
    } else {
      auto img = eng_.store().resolve(name);
      if (!img.ok())
        return not_found("failed to resolve source metadata for " + name +
                         ": pull access denied, repository does not exist or may require authorization");
      from_id = img->id;
      src_lowers.clear();
      if (!img->top_layer.empty()) {
        from_top = img->top_layer;
        BERTH_ASSIGN_OR_RETURN(src_lowers, eng_.store().layers().lowerdirs(img->top_layer));
      }
    }
  }
  LayerView src_view(src_lowers);

  // Resolve sources; hash what is read from the context.
  struct Source {
    std::string rel;      // in src_view; "" for the root
    std::string heredoc;  // COPY <<EOF: the file's name
    std::string content;
    std::optional<Download> url;  // ADD <url>: the fetched file
    std::optional<GitSource> git;  // ADD <git ref>: the repository, at `commit`
    std::string commit;
  };
  std::optional<TempDir> downloads;
  std::optional<std::string> checksum;
  if (auto c = build::flag_value(ins.flags, "checksum")) {
    BERTH_ASSIGN_OR_RETURN(auto e, build::expand_word(*c, v, esc));
    checksum = e;
  }
  std::vector<Source> sources;
  std::vector<std::string> inputs;
  bool keep_git_dir = false;
  if (auto k = build::flag_value(ins.flags, "keep-git-dir")) {
    if (*k != "true" && *k != "false" && !k->empty())
      return build::parse_error(ins.line, "invalid --keep-git-dir value: " + *k);
    keep_git_dir = *k != "false";
  }
  for (const auto& w : words) {
    if (w.rfind("<<", 0) == 0) {
      std::string name = heredoc_name(w);
      for (const auto& h : ins.heredocs) {
        if (h.name != name) continue;
        std::string content = h.content;
        if (h.expand) {
          BERTH_ASSIGN_OR_RETURN(content, build::expand_vars(content, v, esc));
        }
        sources.push_back({"", name, content, std::nullopt});
        inputs.push_back(content);
      }
      continue;
    }
    if (auto g = add ? parse_git_source(w) : std::nullopt) {
      // As BuildKit: the ref is resolved on every build and the cache key is the commit, so an
      // unchanged ref hits the cache without a clone.
      BERTH_ASSIGN_OR_RETURN(auto commit, resolve_git_commit(*g));
      if (checksum && commit.rfind(*checksum, 0) != 0)
        return invalid_argument("expected checksum to match " + *checksum + ", got " + commit +
                                " (ADD " + w + ")");
      inputs.push_back("git\n" + g->url + "\n" + commit + "\n" + g->subdir + "\nkeep-git-dir=" +
                       std::string(keep_git_dir ? "true" : "false"));
      sources.push_back({"", "", "", std::nullopt, g, commit});
      continue;
    }
    if (add && (w.rfind("http://", 0) == 0 || w.rfind("https://", 0) == 0)) {
      // Fetched on every build, as BuildKit does: the cache key is the content's digest, so an
      // unchanged file still hits the cache and a changed one never does.
      if (!downloads) {
        BERTH_ASSIGN_OR_RETURN(auto t, TempDir::create(eng_.store().tmp_dir(), "build-add-"));
        downloads.emplace(std::move(t));
      }
      log_line(n, "downloading " + w);
      BERTH_ASSIGN_OR_RETURN(auto dl, download_url(w, downloads->path(), checksum));
      inputs.push_back(w + "\n" + dl.digest + "\n" + std::to_string(dl.mtime.value_or(0)));
      sources.push_back({"", "", "", std::move(dl)});
      continue;
    }
    if (checksum) return invalid_argument("checksum can't be specified for non-HTTP(S) sources");
    std::string cleaned = build::clean_path("/" + w);
    std::string rel = cleaned == "/" ? "" : cleaned.substr(1);
    if (build::clean_path(w).rfind("..", 0) == 0 && from_id.empty())
      return invalid_argument("forbidden path outside the build context: " + w + " ()");
    std::vector<std::string> matches;
    if (build::has_glob(rel)) {
      BERTH_ASSIGN_OR_RETURN(matches, glob(src_view, rel, ignore));
    } else {
      std::string r = from_id.empty() ? rel : src_view.resolve(rel, true);
      if ((r.empty() || src_view.find(r)) &&
          !(ignore && !r.empty() && ignore->excluded(r) && !ignore->descend(r)))
        matches.push_back(r);
    }
    if (matches.empty())
      return not_found("failed to compute cache key: failed to calculate checksum of ref: \"/" +
                       rel + "\": not found");
    if (matches.size() > 1 || build::has_glob(rel)) dest_dir = dest_dir || matches.size() > 1;
    for (const auto& m : matches) {
      sources.push_back({m, "", "", std::nullopt});
      if (from_id.empty()) {
        Result<std::string> h = [&] {
          Unlocked unlocked(*this);  // stats (and reads, of what changed) the context
          return build::hash_path(m.empty() ? req_.context_dir : path_join(req_.context_dir, m),
                                  m, ignore, &digests_);
        }();
        if (!h.ok()) return std::move(h).error();
        inputs.push_back(*h);
      }
    }
  }
  if (!from_id.empty()) inputs.push_back(from_id);

  std::string key_text = kw + "\n" + join(ins.flags, " ") + "\n" + join(words, "\n") + "\n" + dest_abs +
                         (dest_dir ? "/" : "") + "\nworkdir=" + workdir;
  std::string key = build::cache_key({st.key, key_text, inputs});
  // BuildKit names --chown and --chmod (in that order) and no other flag.
  std::string created_by = kw;
  for (const char* f : {"chown", "chmod"})
    if (auto val = build::flag_value(ins.flags, f)) created_by += std::string(" --") + f + "=" + *val;
  // Sources first, then heredocs by name (unquoted), then the destination.
  for (const auto& w : words)
    if (w.rfind("<<", 0) != 0) created_by += " " + w;
  for (const auto& w : words)
    if (w.rfind("<<", 0) == 0) created_by += " <<" + heredoc_name(w);
  created_by += " " + dest + " # buildkit";
  BERTH_ASSIGN_OR_RETURN(auto hit, cache_get(key));
  if (hit) {
    cached(n);
    apply(st, key, *hit, created_by);
    return {};
  }

  BERTH_TRY(pin(from_top));
  // A COPY of context paths links the files an earlier layer of the same COPY already holds
  // (build_link.h); ADD (which may unpack or fetch) and heredocs write as before; a --from copy
  // links its source layer's files (LayerLinks).
  // BERTH_BUILD_COPY_LINKS=0 copies every file (the tests compare the two ways' layers).
  const char* links_env = std::getenv("BERTH_BUILD_COPY_LINKS");
  bool links_on = !(links_env && std::string_view(links_env) == "0");
  bool linkable = links_on && !add && from_id.empty() &&
                  std::all_of(sources.begin(), sources.end(),
                              [](const Source& src) { return src.heredoc.empty(); });
  std::string manifest_file;
  std::optional<CopyManifest> donor;
  CopyLinks links;
  if (linkable) {
    std::string family = build::cache_key({"", key_text, {}});
    manifest_file = path_join(path_join(eng_.options().root, "build-copy-manifests"),
                              family.substr(family.find(':') + 1));
    links.digests = &digests_;
    donor = CopyManifest::load(manifest_file);
    if (donor) {
      // The donor must stay while its files are linked: a build reference (pin) holds it.
      auto layer = eng_.store().layers().get(donor->chain);
      if (layer.ok() && *layer && pin(donor->chain).ok()) {
        links.donor = UniqueFd(::open((*layer)->path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        links.donor_manifest = &*donor;
      }
    }
  }
  BERTH_ASSIGN_OR_RETURN(auto dst_lowers, lowers(st));
  LayerView dst_view(dst_lowers);
  CopyOptions co;
  co.ignore = ignore;
  if (linkable) co.link = &links;
  LayerLinks layer_links;
  if (links_on && !from_id.empty()) {  // (ADD has no --from)
    layer_links.chain = dst_lowers;
    co.layer_links = &layer_links;
  }
  if (auto c = build::flag_value(ins.flags, "chown")) {
    BERTH_ASSIGN_OR_RETURN(auto owner, build::expand_word(*c, v, esc));
    auto user = runtime::resolve_user(owner, dst_view.read("etc/passwd"), dst_view.read("etc/group"));
    if (!user.ok()) return std::move(user).error().context("--chown=" + owner);
    co.uid = user->uid;
    co.gid = user->gid;
  } else {
    co.uid = 0;
    co.gid = 0;
  }
  if (auto c = build::flag_value(ins.flags, "chmod")) {
    try {
      size_t used = 0;
      co.mode = static_cast<mode_t>(std::stoul(*c, &used, 8));
      if (used != c->size() || *co.mode > 07777) throw std::invalid_argument(*c);
    } catch (...) {
      return build::parse_error(ins.line, "invalid chmod parameter: " + *c);
    }
  }
  BERTH_ASSIGN_OR_RETURN(auto staging, TempDir::create(eng_.store().tmp_dir(), "build-copy-"));
  std::string root = path_join(staging.path(), "root");
  BERTH_TRY(mkdir_all(root, 0755));
  // The destination as the image sees it: symlinked parents followed inside the root.
  auto target_for = [&](const std::string& name) {
    std::string rel = dest_dir ? (dest_rel.empty() ? name : dest_rel + "/" + name) : dest_rel;
    return dst_view.resolve(rel, false);
  };
  // A directory's contents copied into `t` (host path `p`): the destination directory keeps
  // what it is in the image, or is a new 0755 one.
  auto keep_dest_dir = [&](const std::string& t, const std::string& p) {
    auto existing = dst_view.find(t);
    if (!t.empty()) {
      if (existing && S_ISDIR(existing->st.st_mode)) {
        (void)::lchown(p.c_str(), existing->st.st_uid, existing->st.st_gid);
        ::chmod(p.c_str(), existing->st.st_mode & 07777);
      } else {
        ::chmod(p.c_str(), co.mode.value_or(0755));
      }
    } else {
      ::chmod(p.c_str(), 0755);
      (void)::lchown(p.c_str(), 0, 0);
    }
  };
  // The copy into the staging dir reads the sources and the image's layers (never changed while
  // they are in use) and writes only that dir: the builder lock is not needed.
  Status copied = [&]() -> Status {
    Unlocked unlocked(*this);
    for (const auto& src : sources) {
      if (src.git) {
        // The repository's tree goes into the destination directory, owned by root unless
        // --chown; .dockerignore does not apply (it is not the context).
        if (!downloads) {
          BERTH_ASSIGN_OR_RETURN(auto t, TempDir::create(eng_.store().tmp_dir(), "build-add-"));
          downloads.emplace(std::move(t));
        }
        BERTH_ASSIGN_OR_RETURN(
            auto tree, checkout_git(*src.git, src.commit,
                                    path_join(downloads->path(), "git-" + std::to_string(&src - sources.data())),
                                    keep_git_dir));
        std::string t = dst_view.resolve(dest_rel, true);
        BERTH_TRY(make_parents(dst_view, root, t.empty() ? "x" : t + "/x"));
        CopyOptions gco;
        gco.uid = co.uid;
        gco.gid = co.gid;
        gco.mode = co.mode;
        std::string p = t.empty() ? root : path_join(root, t);
        BERTH_TRY(copy_tree(LayerView({tree}), "", p, gco));
        keep_dest_dir(t, p);
        continue;
      }
      if (src.url) {
        // Docker's rules for a fetched file: 0600 unless --chmod, never unpacked, dated by the
        // server's Last-Modified.
        const auto& dl = *src.url;
        bool into_dir = dest_dir;
        if (!into_dir) {
          auto existing = dst_view.find(dst_view.resolve(dest_rel, true));
          into_dir = existing && S_ISDIR(existing->st.st_mode);
        }
        std::string t = into_dir ? dst_view.resolve(dest_rel, true) : target_for(dl.name);
        if (into_dir) t = t.empty() ? dl.name : t + "/" + dl.name;
        BERTH_TRY(make_parents(dst_view, root, t));
        std::string p = path_join(root, t);
        if (::rename(dl.path.c_str(), p.c_str()) != 0) return sys_error("placing " + dl.name);
        if (::chmod(p.c_str(), co.mode.value_or(0600)) != 0) return sys_error("chmod " + p);
        if (::lchown(p.c_str(), *co.uid, *co.gid) != 0) return sys_error("chown " + p);
        if (dl.mtime) {
          struct timespec ts[2] = {{*dl.mtime, 0}, {*dl.mtime, 0}};
          (void)::utimensat(AT_FDCWD, p.c_str(), ts, AT_SYMLINK_NOFOLLOW);
        }
        continue;
      }
      if (!src.heredoc.empty()) {
        std::string t = target_for(src.heredoc);
        BERTH_TRY(make_parents(dst_view, root, t));
        std::string p = path_join(root, t);
        BERTH_TRY(atomic_write_file(p, src.content, co.mode.value_or(0644)));
        if (::lchown(p.c_str(), *co.uid, *co.gid) != 0) return sys_error("chown " + p);
        continue;
      }
      auto e = src_view.find(src.rel);
      if (!e && !src.rel.empty()) return not_found("\"/" + src.rel + "\": not found");
      bool is_dir = src.rel.empty() || S_ISDIR(e->st.st_mode);
      if (add && !is_dir && S_ISREG(e->st.st_mode) && from_id.empty() && looks_like_archive(e->host_path)) {
        // ADD of a local archive: extracted into the destination directory.
        std::string t = dst_view.resolve(dest_rel, true);
        BERTH_TRY(make_parents(dst_view, root, t + "/x"));
        BERTH_TRY(mkdir_all(path_join(root, t), 0755));
        BERTH_ASSIGN_OR_RETURN(auto fd, open_file(e->host_path, O_RDONLY));
        archive::ApplyOptions ao;
        ao.overlay_whiteouts = false;
        BERTH_TRY_CTX(archive::apply_layer(fd.get(), path_join(root, t), ao), "extracting " + src.rel);
        continue;
      }
      if (is_dir) {
        // A directory's contents go into the destination directory.
        std::string t = dst_view.resolve(dest_rel, true);
        BERTH_TRY(make_parents(dst_view, root, t.empty() ? "x" : t + "/x"));
        std::string p = t.empty() ? root : path_join(root, t);
        BERTH_TRY(copy_tree(src_view, src.rel, p, co, t));
        keep_dest_dir(t, p);
        continue;
      }
      std::string name = basename(src.rel);
      bool into_dir = dest_dir;
      if (!into_dir) {
        auto existing = dst_view.find(dst_view.resolve(dest_rel, true));
        into_dir = existing && S_ISDIR(existing->st.st_mode);
      }
      std::string t = into_dir ? dst_view.resolve(dest_rel, true) : target_for(name);
      if (into_dir) t = t.empty() ? name : t + "/" + name;
      BERTH_TRY(make_parents(dst_view, root, t));
      BERTH_TRY(copy_tree(src_view, src.rel, path_join(root, t), co, t));
    }
    return {};
  }();
  BERTH_TRY(copied);
  BERTH_ASSIGN_OR_RETURN(auto made, commit_dir(st, root, true));
  BERTH_TRY(cache_put(key, made));
  if (linkable && !made.diff_id.empty()) {
    // Only a cache: a failure to write it costs the next build its links, nothing else.
    (void)CopyManifest{made.top_layer, std::move(links.written)}.save(manifest_file);
  }
  apply(st, key, made, created_by);
  done(n);
  return {};
}

Status Builder::workdir_step(State& st, const Instruction& ins, const std::string& dir, int n) {
  std::string created_by = "WORKDIR " + dir;
  std::string key = build::cache_key({st.key, "WORKDIR\n" + dir, {}});
  // Read unpinned (a race with `rmi` of the base can only fail the step): a WORKDIR that exists
  // or hits the cache writes nothing. Pinned below before a layer is made on it.
  std::vector<std::string> dst_lowers;
  if (!st.top_layer.empty()) {
    BERTH_ASSIGN_OR_RETURN(dst_lowers, eng_.store().layers().lowerdirs(st.top_layer));
  }
  LayerView view(dst_lowers);
  std::string rel = view.resolve(dir.substr(1), true);
  auto existing = rel.empty() ? std::optional<LayerView::Entry>() : view.find(rel);
  if (rel.empty() || (existing && S_ISDIR(existing->st.st_mode))) {
    // Nothing to create: a metadata-only step, as BuildKit.
    CacheHit none{st.top_layer, "", st.time, 0};
    apply(st, key, none, created_by);
    done(n);
    return {};
  }
  BERTH_ASSIGN_OR_RETURN(auto hit, cache_get(key));
  if (hit) {
    cached(n);
    apply(st, key, *hit, created_by);
    return {};
  }
  BERTH_TRY(pin(st.top_layer));
  BERTH_ASSIGN_OR_RETURN(auto staging, TempDir::create(eng_.store().tmp_dir(), "build-workdir-"));
  std::string root = path_join(staging.path(), "root");
  BERTH_TRY(mkdir_all(root, 0755));
  BERTH_TRY(make_parents(view, root, rel + "/x"));
  BERTH_ASSIGN_OR_RETURN(auto made, commit_dir(st, root, true));
  BERTH_TRY(cache_put(key, made));
  apply(st, key, made, created_by);
  done(n);
  return {};
}

}  // namespace berth::engine::buildimpl
