#include "build/dockerfile.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "base/strings.h"

namespace berth::build {
namespace {

const char* const kKeywords[] = {"add",        "arg",    "cmd",         "copy",   "entrypoint",
                                 "env",        "expose", "from",        "healthcheck",
                                 "label",      "maintainer", "onbuild", "run",    "shell",
                                 "stopsignal", "user",   "volume",      "workdir"};

bool is_keyword(const std::string& k) {
  return std::find(std::begin(kKeywords), std::end(kKeywords), k) != std::end(kKeywords);
}

bool takes_heredoc(const std::string& k) { return k == "run" || k == "copy" || k == "add"; }

// Instructions whose arguments may be JSON arrays (exec form).
bool takes_json(const std::string& k) {
  return k == "run" || k == "cmd" || k == "entrypoint" || k == "copy" || k == "add" ||
         k == "shell" || k == "volume" || k == "healthcheck";
}

std::string_view ltrim(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

std::string_view rtrim(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// A `# key=value` directive line; nullopt if the line is not one.
std::optional<std::pair<std::string, std::string>> directive(std::string_view line) {
  line = ltrim(line);
  if (line.empty() || line[0] != '#') return std::nullopt;
  line = ltrim(line.substr(1));
  size_t i = 0;
  while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_'))
    ++i;
  if (i == 0) return std::nullopt;
  std::string key = to_lower(line.substr(0, i));
  auto rest = ltrim(line.substr(i));
  if (rest.empty() || rest[0] != '=') return std::nullopt;
  return std::make_pair(key, std::string(trim(rest.substr(1))));
}

// Splits leading `--flag[=value]` words off `rest`.
std::vector<std::string> take_flags(std::string_view& rest) {
  std::vector<std::string> flags;
  while (true) {
    rest = ltrim(rest);
    if (rest.size() < 3 || rest.substr(0, 2) != "--") break;
    size_t end = rest.find_first_of(" \t");
    flags.emplace_back(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  return flags;
}

std::optional<std::vector<std::string>> json_array(std::string_view s) {
  if (s.empty() || s[0] != '[') return std::nullopt;
  auto j = nlohmann::json::parse(s, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& e : j) {
    if (!e.is_string()) return std::nullopt;
    out.push_back(e.get<std::string>());
  }
  return out;
}

// Heredoc markers in `args`: `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'`.
std::vector<Heredoc> heredoc_markers(std::string_view args) {
  std::vector<Heredoc> out;
  size_t pos = 0;
  while ((pos = args.find("<<", pos)) != std::string_view::npos) {
    size_t i = pos + 2;
    Heredoc h;
    if (i < args.size() && args[i] == '-') {
      h.strip_tabs = true;
      ++i;
    }
    char quote = 0;
    if (i < args.size() && (args[i] == '"' || args[i] == '\'')) quote = args[i++];
    size_t start = i;
    while (i < args.size() && (std::isalnum(static_cast<unsigned char>(args[i])) ||
                               args[i] == '_' || args[i] == '-' || args[i] == '.'))
      ++i;
    if (i == start || (quote && (i >= args.size() || args[i] != quote))) {
      pos += 2;
      continue;
    }
    h.name = std::string(args.substr(start, i - start));
    h.expand = quote == 0;
    out.push_back(std::move(h));
    pos = quote ? i + 1 : i;
  }
  return out;
}

}  // namespace

Error parse_error(int line, std::string_view what) {
  return invalid_argument("dockerfile parse error on line " + std::to_string(line) + ": " +
                          std::string(what));
}

std::optional<std::string> flag_value(const std::vector<std::string>& flags,
                                      std::string_view name) {
  for (const auto& f : flags) {
    std::string_view v(f);
    v.remove_prefix(2);
    auto eq = v.find('=');
    if (v.substr(0, eq) != name) continue;
    return eq == std::string_view::npos ? std::string() : std::string(v.substr(eq + 1));
  }
  return std::nullopt;
}

Status check_flags(const Instruction& ins, std::initializer_list<std::string_view> allowed) {
  for (const auto& f : ins.flags) {
    std::string_view v(f);
    v.remove_prefix(2);
    auto name = v.substr(0, v.find('='));
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
      return parse_error(ins.line, "unknown flag: " + std::string(name));
  }
  return {};
}

Result<Dockerfile> parse_dockerfile(std::string_view text) {
  Dockerfile df;
  std::vector<std::string_view> lines;
  {
    size_t start = 0;
    while (start <= text.size()) {
      size_t nl = text.find('\n', start);
      if (nl == std::string_view::npos) {
        if (start < text.size()) lines.push_back(text.substr(start));
        break;
      }
      lines.push_back(text.substr(start, nl - start));
      start = nl + 1;
    }
  }
  size_t n = 0;
  // Directives: only the leading block of `# key=value` comments.
  bool seen_escape = false, seen_syntax = false;
  for (; n < lines.size(); ++n) {
    auto d = directive(lines[n]);
    if (!d) break;
    if (d->first == "escape") {
      if (seen_escape) return parse_error(static_cast<int>(n + 1), "only one escape parser directive can be used");
      if (d->second != "\\" && d->second != "`")
        return parse_error(static_cast<int>(n + 1),
                           "invalid escape token '" + d->second + "' does not match ` or \\");
      df.escape = d->second[0];
      seen_escape = true;
    } else if (d->first == "syntax") {
      if (!seen_syntax) df.syntax = d->second;
      seen_syntax = true;
    }
    // Unknown directives are comments, as BuildKit treats them.
  }
  const char esc = df.escape;
  while (n < lines.size()) {
    auto line = rtrim(lines[n]);
    auto body = ltrim(line);
    if (body.empty() || body[0] == '#') {
      ++n;
      continue;
    }
    Instruction ins;
    ins.line = static_cast<int>(n + 1);
    std::string joined;
    // Continuations: join while the line ends with the escape char.
    while (true) {
      auto cur = rtrim(lines[n]);
      if (!cur.empty() && cur.back() == esc) {
        joined += std::string(cur.substr(0, cur.size() - 1));
        ++n;
        // Comments and blank lines inside a continuation are skipped.
        while (n < lines.size()) {
          auto t = ltrim(rtrim(lines[n]));
          if (!t.empty() && t[0] != '#') break;
          ++n;
        }
        if (n >= lines.size()) break;
        continue;
      }
      joined += std::string(cur);
      ++n;
      break;
    }
    ins.end_line = static_cast<int>(n);
    std::string_view rest = ltrim(joined);
    ins.original = std::string(rest);
    size_t sp = rest.find_first_of(" \t");
    ins.keyword = to_lower(rest.substr(0, sp));
    rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp);
    if (!is_keyword(ins.keyword))
      return parse_error(ins.line, "unknown instruction: " + std::string(ltrim(joined).substr(0, sp)));
    if (ins.keyword != "onbuild") ins.flags = take_flags(rest);
    ins.args = std::string(trim(rest));
    if (takes_json(ins.keyword)) {
      if (auto arr = json_array(ins.args)) {
        ins.json = true;
        ins.json_args = *arr;
      }
    }
    if (!ins.json && takes_heredoc(ins.keyword)) {
      ins.heredocs = heredoc_markers(ins.args);
      for (auto& h : ins.heredocs) {
        bool closed = false;
        while (n < lines.size()) {
          std::string l(lines[n]);
          ++n;
          if (!l.empty() && l.back() == '\r') l.pop_back();
          if (h.strip_tabs) l.erase(0, l.find_first_not_of('\t') == std::string::npos
                                          ? l.size()
                                          : l.find_first_not_of('\t'));
          if (l == h.name) {
            closed = true;
            break;
          }
          h.content += l + "\n";
        }
        if (!closed)
          return parse_error(ins.line, "unterminated heredoc " + h.name);
        ins.end_line = static_cast<int>(n);
      }
    }
    if (ins.args.empty() && ins.heredocs.empty() && ins.keyword != "cmd" &&
        ins.keyword != "entrypoint")
    {
      std::string up = ins.keyword;
      for (auto& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return parse_error(ins.line, up + " requires at least one argument");
    }
    df.instructions.push_back(std::move(ins));
  }
  if (df.instructions.empty())
    return invalid_argument("dockerfile parse error: file with no instructions");
  return df;
}

}  // namespace berth::build
