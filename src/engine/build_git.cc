#include "engine/build_git.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <chrono>

#include "base/command.h"
#include "base/fs.h"
#include "base/strings.h"
#include "base/unique_fd.h"
#include "build/dockerignore.h"
#include "engine/build_link.h"

namespace berth::engine::buildimpl {
namespace {

using namespace std::chrono_literals;

// git with prompts and the user's config out of the way; the result, or an error naming it.
Result<CommandResult> git(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"git"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_command(argv, 600s, {"GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=true", "GIT_CONFIG_NOSYSTEM=1",
                                    "GIT_SSH_COMMAND=ssh -o BatchMode=yes"});
  if (!r.ok() && r.error().code() == Code::kNotFound)
    return Error(Code::kFailedPrecondition, "ADD of a git repository needs the git program: " +
                                                r.error().message());
  return r;
}

std::string first_line(const std::string& s) {
  std::string l = s.substr(0, s.find('\n'));
  return std::string(trim(l));
}

bool is_commit_id(std::string_view s) {
  return s.size() == 40 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// Dates every entry under `dir` (not following links) to `when`.
void set_all_times(const std::string& dir, int64_t when) {
  struct timespec ts[2] = {{when, 0}, {when, 0}};
  std::vector<std::string> todo{dir};
  while (!todo.empty()) {
    std::string d = todo.back();
    todo.pop_back();
    std::vector<std::string> names;
    if (DIR* h = ::opendir(d.c_str())) {
      while (auto* e = ::readdir(h))
        if (std::string_view(e->d_name) != "." && std::string_view(e->d_name) != "..")
          names.emplace_back(e->d_name);
      ::closedir(h);
    }
    for (const auto& name : names) {
      std::string p = path_join(d, name);
      struct stat st;
      if (::lstat(p.c_str(), &st) != 0) continue;
      if (S_ISDIR(st.st_mode)) todo.push_back(p);
      ::utimensat(AT_FDCWD, p.c_str(), ts, AT_SYMLINK_NOFOLLOW);
    }
    ::utimensat(AT_FDCWD, d.c_str(), ts, AT_SYMLINK_NOFOLLOW);
  }
}

}  // namespace

std::optional<GitSource> parse_git_source(const std::string& s) {
  std::string url = s, fragment;
  if (auto hash = s.find('#'); hash != std::string::npos) {
    url = s.substr(0, hash);
    fragment = s.substr(hash + 1);
  }
  bool git = url.rfind("git@", 0) == 0 || url.rfind("git://", 0) == 0 || url.rfind("ssh://", 0) == 0;
  if (!git && (url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0)) {
    std::string path = url.substr(0, url.find('?'));
    while (!path.empty() && path.back() == '/') path.pop_back();
    git = path.size() > 4 && path.compare(path.size() - 4, 4, ".git") == 0;
  }
  if (!git) return std::nullopt;
  GitSource g;
  g.url = url;
  auto colon = fragment.find(':');
  g.ref = fragment.substr(0, colon);
  if (colon != std::string::npos) g.subdir = build::clean_path(fragment.substr(colon + 1));
  if (g.subdir == "." || g.subdir == "/") g.subdir.clear();
  while (!g.subdir.empty() && g.subdir[0] == '/') g.subdir.erase(0, 1);
  return g;
}

Result<std::string> resolve_git_commit(const GitSource& src) {
  if (is_commit_id(src.ref)) return src.ref;
  std::string want = src.ref.empty() ? "HEAD" : src.ref;
  BERTH_ASSIGN_OR_RETURN(auto r, git({"ls-remote", "--", src.url, want}));
  if (r.status != 0)
    return unavailable("failed to fetch remote " + src.url + ": " + first_line(r.err));
  // A tag's peeled line ("<id>\trefs/tags/v1^{}") names the commit; otherwise the first match
  // in git's order: HEAD, then branches (refs/heads/) before tags.
  std::string found, peeled;
  for (const auto& line : split(r.out, '\n')) {
    auto tab = line.find('\t');
    if (tab == std::string::npos) continue;
    std::string id = line.substr(0, tab), name = line.substr(tab + 1);
    if (name.size() > 3 && name.compare(name.size() - 3, 3, "^{}") == 0) {
      if (peeled.empty()) peeled = id;
      continue;
    }
    if (found.empty()) found = id;
  }
  if (!peeled.empty()) return peeled;
  if (found.empty()) return not_found("failed to resolve git ref " + want + " in " + src.url);
  return found;
}

namespace {

// One commit, no history: what a smart server (git://, ssh, smart http) gives with a shallow
// fetch. false when the server cannot (dumb http) or the ref has moved since it was resolved.
bool fetch_one_commit(const GitSource& src, const std::string& commit, const std::string& dir) {
  auto init = git({"init", "--quiet", dir});
  if (!init.ok() || init->status != 0) return false;
  std::string want = src.ref.empty() ? "HEAD" : src.ref;
  auto fetch = git({"-C", dir, "fetch", "--quiet", "--depth=1", "--", src.url, want});
  if (!fetch.ok() || fetch->status != 0) return false;
  auto head = git({"-C", dir, "rev-parse", "FETCH_HEAD"});
  return head.ok() && head->status == 0 && first_line(head->out) == commit;
}

}  // namespace

Result<std::string> checkout_git(const GitSource& src, const std::string& commit,
                                 const std::string& dir, bool keep_git_dir) {
  if (!fetch_one_commit(src, commit, dir)) {
    BERTH_TRY(remove_all(dir));
    BERTH_ASSIGN_OR_RETURN(auto clone, git({"clone", "--quiet", "--no-checkout", "--", src.url, dir}));
    if (clone.status != 0)
      return unavailable("failed to clone " + src.url + ": " + first_line(clone.err));
  }
  BERTH_ASSIGN_OR_RETURN(auto co, git({"-C", dir, "-c", "advice.detachedHead=false", "checkout",
                                       "--quiet", "--detach", commit}));
  if (co.status != 0)
    return not_found("failed to check out " + commit + " of " + src.url + ": " + first_line(co.err));
  BERTH_ASSIGN_OR_RETURN(auto when, git({"-C", dir, "log", "-1", "--format=%ct", commit}));
  int64_t t = 0;
  try {
    t = std::stoll(first_line(when.out));
  } catch (...) {
    return internal_error("reading the date of " + commit + " in " + src.url);
  }
  if (!keep_git_dir) BERTH_TRY(remove_all(path_join(dir, ".git")));
  // The subdirectory is reached without following a symlink the repository may hold, and never
  // above the checkout.
  std::string tree = src.subdir.empty() ? dir : path_join(dir, src.subdir);
  UniqueFd root(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  int sub = root ? open_dir_beneath(root.get(), src.subdir) : -1;
  if (sub < 0)
    return not_found("no directory " + src.subdir + " in " + src.url + " at " + commit);
  ::close(sub);
  set_all_times(dir, t);
  return tree;
}

}  // namespace berth::engine::buildimpl
