#include "image/changes.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "base/strings.h"

namespace berth::image {
namespace {

// A JSON array of strings (exec form), or nullopt when `args` is not one.
std::optional<std::vector<std::string>> exec_form(std::string_view args) {
  if (args.empty() || args.front() != '[') return std::nullopt;
  auto j = nlohmann::json::parse(args.begin(), args.end(), nullptr, false);
  if (j.is_discarded() || !j.is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& e : j) {
    if (!e.is_string()) return std::nullopt;
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::vector<std::string> command_value(std::string_view args) {
  if (auto v = exec_form(args)) return *v;
  return {"/bin/sh", "-c", std::string(args)};
}

// Splits on whitespace, honouring double and single quotes and backslash escapes; quotes are
// removed, as Docker's word processing does for ENV and LABEL.
Result<std::vector<std::string>> words(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < s.size()) {
        cur += s[++i];
      } else {
        cur += c;
      }
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) out.push_back(std::move(cur));
      cur.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '"' || c == '\'') quote = c;
    else if (c == '\\' && i + 1 < s.size()) cur += s[++i];
    else cur += c;
  }
  if (quote) return invalid_argument("unterminated quote in: " + std::string(s));
  if (in_word) out.push_back(std::move(cur));
  return out;
}

std::string normalize_port(std::string p) {
  if (p.find('/') == std::string::npos) p += "/tcp";
  return to_lower(p);
}

void add_sorted_unique(std::vector<std::string>& v, std::string x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(std::move(x));
  std::sort(v.begin(), v.end());
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> parse_key_values(std::string_view args,
                                                                          bool allow_legacy) {
  std::vector<std::pair<std::string, std::string>> out;
  args = trim(args);
  auto first_space = args.find_first_of(" \t");
  auto first_eq = args.find('=');
  if (allow_legacy && (first_eq == std::string_view::npos || first_space < first_eq)) {
    // Legacy "ENV key value with spaces" form.
    if (first_space == std::string_view::npos) return invalid_argument("ENV must have two arguments");
    out.emplace_back(std::string(args.substr(0, first_space)),
                     std::string(trim(args.substr(first_space))));
    return out;
  }
  BERTH_ASSIGN_OR_RETURN(auto ws, words(args));
  for (auto& w : ws) {
    auto kv = split_once(w, '=');
    if (!kv.found || kv.first.empty())
      return invalid_argument("key-value pair \"" + w + "\" must be of the form key=value");
    out.emplace_back(kv.first, kv.second);
  }
  return out;
}

Status apply_change(oci::RunConfig& rc, std::string_view line) {
  line = trim(line);
  auto sp = line.find_first_of(" \t");
  std::string instr = to_lower(line.substr(0, sp));
  std::string_view args = sp == std::string_view::npos ? "" : trim(line.substr(sp));
  std::string upper = instr;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));

  if (instr == "cmd") {
    rc.cmd = command_value(args);
  } else if (instr == "entrypoint") {
    rc.entrypoint = command_value(args);
  } else if (instr == "env") {
    BERTH_ASSIGN_OR_RETURN(auto kvs, parse_key_values(args, true));
    for (auto& kv : kvs) {
      std::string prefix = kv.first + "=";
      std::string entry = prefix + kv.second;
      auto it = std::find_if(rc.env.begin(), rc.env.end(), [&](const std::string& e) {
        return e.rfind(prefix, 0) == 0;
      });
      if (it != rc.env.end()) *it = entry;
      else rc.env.push_back(entry);
    }
  } else if (instr == "label") {
    BERTH_ASSIGN_OR_RETURN(auto kvs, parse_key_values(args, true));
    for (auto& [k, v] : kvs) rc.labels[k] = v;
  } else if (instr == "expose") {
    BERTH_ASSIGN_OR_RETURN(auto ps, words(args));
    for (auto& p : ps) add_sorted_unique(rc.exposed_ports, normalize_port(p));
  } else if (instr == "volume") {
    std::vector<std::string> vs;
    if (auto v = exec_form(args)) {
      vs = *v;
    } else {
      BERTH_ASSIGN_OR_RETURN(vs, words(args));
    }
    for (auto& v : vs) add_sorted_unique(rc.volumes, v);
  } else if (instr == "workdir") {
    std::string w(args);
    if (!w.empty() && w.front() != '/') w = (rc.working_dir.empty() ? "/" : rc.working_dir + "/") + w;
    rc.working_dir = w;
  } else if (instr == "user") {
    rc.user = std::string(args);
  } else if (instr == "stopsignal") {
    rc.stop_signal = std::string(args);
  } else if (instr == "onbuild") {
    rc.on_build.emplace_back(args);
  } else {
    return invalid_argument(upper + " is not a valid change command");
  }
  if (args.empty() && instr != "user" && instr != "workdir")
    return invalid_argument(upper + " requires at least one argument");
  return {};
}

}  // namespace berth::image
