// ADD <git ref>: a git repository as a build source, as BuildKit reads one.
//
// Recognised sources: git@host:path, git:// and ssh:// URLs, and http(s) URLs whose path ends in
// ".git"; an optional fragment "#<ref>[:<subdir>]" names a branch, tag or commit (default: the
// remote's HEAD) and a directory of the checkout. The `git` program does the transport (as in
// BuildKit), with prompts off, so a repository that needs credentials fails instead of waiting.
#pragma once

#include <optional>
#include <string>

#include "base/error.h"

namespace berth::engine::buildimpl {

struct GitSource {
  std::string url;     // what git is given
  std::string ref;     // "" for HEAD
  std::string subdir;  // "" for the whole tree
};

// nullopt when `s` is not a git source (a local path, or another URL).
std::optional<GitSource> parse_git_source(const std::string& s);

// The commit `src.ref` names now (git ls-remote; a full commit id is taken as it is).
// kNotFound "failed to resolve git ref ..." when the remote has no such ref.
Result<std::string> resolve_git_commit(const GitSource& src);

// Fetches `commit` of `src.url` into `dir` (which must not exist) and checks it out, without
// .git unless `keep_git_dir`: one commit by a shallow fetch where the server can serve one (the
// kept .git is then shallow, as BuildKit's), else the whole history by a clone. Every file and directory is dated by the commit's time, so the same
// commit gives the same layer. Returns the directory to copy: `dir`, or its `subdir`.
Result<std::string> checkout_git(const GitSource& src, const std::string& commit,
                                 const std::string& dir, bool keep_git_dir);

}  // namespace berth::engine::buildimpl
