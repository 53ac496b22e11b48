// Detach keys (see detach_keys.h).
#include "engine/detach_keys.h"

#include <cctype>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/strings.h"
#include "registry/credentials.h"

namespace berth::engine {
namespace {

Result<char> parse_key(std::string_view key) {
  if (key.size() == 1) return key[0];
  std::string lower(key);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.size() == 6 && lower.rfind("ctrl-", 0) == 0) {
    char v = lower[5];
    if (v >= 'a' && v <= 'z') return static_cast<char>(v - 'a' + 1);
    // ctrl-@ is NUL; [ \ ] ^ _ are 27..31, as a terminal sends them.
    switch (v) {
      case '@': return '\0';
      case '[': return '\x1b';
      case '\\': return '\x1c';
      case ']': return '\x1d';
      case '^': return '\x1e';
      case '_': return '\x1f';
      default: break;
    }
  }
  return invalid_argument("unknown key '" + std::string(key) +
                          "': a key is a single character or ctrl-<value> with value a-z, @, [, "
                          "\\, ], ^ or _");
}

}  // namespace

Result<std::string> parse_detach_keys(std::string_view keys) {
  std::string out;
  size_t start = 0;
  while (true) {
    size_t comma = keys.find(',', start);
    std::string_view key = keys.substr(start, comma == std::string_view::npos ? keys.npos : comma - start);
    BERTH_ASSIGN_OR_RETURN(char c, parse_key(key));
    out.push_back(c);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

Result<std::string> resolve_detach_keys(const std::string& flag, const std::string& config_path) {
  if (!flag.empty()) {
    auto k = parse_detach_keys(flag);
    if (!k.ok())
      return invalid_argument("invalid argument \"" + flag + "\" for \"--detach-keys\" flag: " +
                              k.error().message());
    return k;
  }
  auto text = read_file(config_path);
  if (!text.ok()) {
    if (text.error().code() == Code::kNotFound) return std::string(kDefaultDetachKeys);
    return std::move(text).error();
  }
  auto j = nlohmann::json::parse(*text, nullptr, false);
  // A config.json berth cannot read is the login code's to report; here it just has no keys.
  if (j.is_discarded() || !j.is_object()) return std::string(kDefaultDetachKeys);
  auto it = j.find("detachKeys");
  if (it == j.end() || !it->is_string() || it->get<std::string>().empty())
    return std::string(kDefaultDetachKeys);
  std::string v = *it;
  auto k = parse_detach_keys(v);
  if (!k.ok())
    return invalid_argument(config_path + ": invalid \"detachKeys\" \"" + v + "\": " +
                            k.error().message());
  return k;
}

Result<std::string> resolve_detach_keys(const std::string& flag) {
  return resolve_detach_keys(flag, registry::AuthFiles::from_env().docker_config);
}

bool DetachMatcher::feed(const char* p, size_t n, std::string& out) {
  if (seq_.empty()) {
    out.append(p, n);
    return false;
  }
  for (size_t i = 0; i < n; ++i) {
    if (p[i] == seq_[matched_]) {
      if (++matched_ == seq_.size()) {
        matched_ = 0;
        return true;
      }
      continue;
    }
    // Diverged: what was held goes on unchanged, then this byte, which Docker does not take
    // as the start of a new try (ctrl-p ctrl-p ctrl-q reaches the container whole).
    out.append(seq_, 0, matched_);
    out.push_back(p[i]);
    matched_ = 0;
  }
  return false;
}

}  // namespace berth::engine
