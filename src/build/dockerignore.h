// .dockerignore: Docker's pattern syntax (moby/patternmatcher) and path matching.
//
// One pattern per line; `#` lines are comments; blanks trimmed; a leading `!` re-includes; a
// leading `/` is dropped and the pattern is cleaned like a path. `*` matches within one path
// component, `?` one char, `[a-z]`/`[^a]` a class, `**` any number of components, and the escape
// `\` the next char literally. The last matching pattern decides. A pattern that matches a
// directory also matches everything under it.
#pragma once

#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::build {

class IgnoreMatcher {
 public:
  // Parses .dockerignore text. kInvalidArgument for a malformed pattern (e.g. `[` unclosed).
  static Result<IgnoreMatcher> parse(std::string_view text);
  // Builds a matcher from patterns (already one per entry).
  static Result<IgnoreMatcher> from_patterns(const std::vector<std::string>& patterns);

  // `rel` is a path relative to the context, '/'-separated, without a leading "./".
  bool excluded(std::string_view rel) const;
  // Whether a walker must still look inside the excluded directory `dir` because a `!` pattern
  // may re-include something below it. Docker's rule (moby's and BuildKit's walkers): some `!`
  // pattern's text, plus "/", starts with `dir` + "/". Docker then sends the directory itself,
  // even when nothing below it is re-included.
  bool descend(std::string_view dir) const;
  bool has_exclusions() const { return has_exclusions_; }
  bool empty() const { return patterns_.empty(); }

 private:
  struct Pattern {
    std::string text;
    bool negate = false;
    std::regex re;
  };
  std::vector<Pattern> patterns_;
  bool has_exclusions_ = false;
};

// Go's filepath.Match (used for COPY source globs): `*`, `?`, `[...]`, escape `\`; '/' is never
// matched by a wildcard. kInvalidArgument for a malformed pattern.
Result<bool> glob_match(std::string_view pattern, std::string_view name);
// Whether `s` has glob metacharacters.
bool has_glob(std::string_view s);
// Path clean like Go's path.Clean ("a//b/../c" -> "a/c", "" -> ".").
std::string clean_path(std::string_view p);

}  // namespace berth::build
