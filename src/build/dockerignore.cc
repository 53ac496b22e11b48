#include "build/dockerignore.h"

#include "base/strings.h"

namespace berth::build {
namespace {

// Translates a pattern to an ECMAScript regex, as patternmatcher does.
Result<std::string> to_regex(std::string_view p) {
  std::string re = "^";
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '*') {
      if (i + 1 < p.size() && p[i + 1] == '*') {
        ++i;
        // "**/" matches zero or more directories; a trailing "**" anything.
        if (i + 1 < p.size() && p[i + 1] == '/') {
          ++i;
          re += "(.*/)?";
        } else {
          re += ".*";
        }
      } else {
        re += "[^/]*";
      }
    } else if (c == '?') {
      re += "[^/]";
    } else if (c == '[') {
      size_t end = p.find(']', i + 1);
      if (end == std::string_view::npos) return invalid_argument("syntax error in pattern");
      std::string cls(p.substr(i + 1, end - i - 1));
      if (!cls.empty() && cls[0] == '!') cls[0] = '^';
      re += "[" + cls + "]";
      i = end;
    } else if (c == '\\' && i + 1 < p.size()) {
      ++i;
      re += "\\";
      re += p[i];
    } else if (std::string_view(".+()|{}^$").find(c) != std::string_view::npos) {
      re += "\\";
      re += c;
    } else {
      re += c;
    }
  }
  return re + "$";
}

}  // namespace

std::string clean_path(std::string_view p) {
  bool abs = !p.empty() && p[0] == '/';
  std::vector<std::string> out;
  for (auto& part : split(p, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!out.empty() && out.back() != "..") out.pop_back();
      else if (!abs) out.push_back("..");
      continue;
    }
    out.push_back(part);
  }
  std::string s = (abs ? "/" : "") + join(out, "/");
  return s.empty() ? "." : s;
}

Result<IgnoreMatcher> IgnoreMatcher::parse(std::string_view text) {
  std::vector<std::string> pats;
  for (auto& line : split(text, '\n')) {
    std::string_view l = trim(line);
    if (l.empty() || l[0] == '#') continue;
    pats.emplace_back(l);
  }
  return from_patterns(pats);
}

Result<IgnoreMatcher> IgnoreMatcher::from_patterns(const std::vector<std::string>& patterns) {
  IgnoreMatcher m;
  for (const auto& raw : patterns) {
    std::string_view p = trim(raw);
    Pattern pat;
    if (!p.empty() && p[0] == '!') {
      pat.negate = true;
      m.has_exclusions_ = true;
      p = trim(p.substr(1));
    }
    if (p.empty()) continue;
    std::string cleaned = clean_path(p);
    if (!cleaned.empty() && cleaned[0] == '/') cleaned = cleaned.size() == 1 ? "." : cleaned.substr(1);
    pat.text = cleaned;
    BERTH_ASSIGN_OR_RETURN(auto re, to_regex(cleaned));
    try {
      pat.re = std::regex(re, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error&) {
      return invalid_argument("invalid .dockerignore pattern \"" + raw + "\"");
    }
    m.patterns_.push_back(std::move(pat));
  }
  return m;
}

bool IgnoreMatcher::excluded(std::string_view rel) const {
  if (patterns_.empty()) return false;  // no .dockerignore: every entry of every walk asks
  std::string path = clean_path(rel);
  bool out = false;
  for (const auto& p : patterns_) {
    // A pattern matches the path itself or one of its parent directories.
    bool hit = std::regex_match(path, p.re);
    for (size_t pos = path.find('/'); !hit && pos != std::string::npos;
         pos = path.find('/', pos + 1))
      hit = std::regex_match(path.substr(0, pos), p.re);
    if (hit) out = !p.negate;
  }
  return out;
}

bool IgnoreMatcher::descend(std::string_view dir) const {
  if (!has_exclusions_) return false;
  std::string prefix = clean_path(dir) + "/";
  for (const auto& p : patterns_)
    if (p.negate && (p.text + "/").rfind(prefix, 0) == 0) return true;
  return false;
}

bool has_glob(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

Result<bool> glob_match(std::string_view pattern, std::string_view name) {
  BERTH_ASSIGN_OR_RETURN(auto re, to_regex(pattern));
  // In filepath.Match "**" is just two stars: never crosses '/'.
  std::string fixed;
  for (size_t i = 0; i < re.size(); ++i) {
    if (re.compare(i, 6, "(.*/)?") == 0) {
      fixed += "[^/]*/";
      i += 5;
    } else if (re.compare(i, 2, ".*") == 0 && (i == 0 || re[i - 1] != '\\')) {
      fixed += "[^/]*";
      i += 1;
    } else {
      fixed += re[i];
    }
  }
  try {
    return std::regex_match(std::string(name), std::regex(fixed));
  } catch (const std::regex_error&) {
    return invalid_argument("syntax error in pattern");
  }
}

}  // namespace berth::build
