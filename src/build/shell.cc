#include "build/shell.h"

#include <cctype>
#include <optional>

namespace berth::build {
namespace {

bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class Expander {
 public:
  Expander(std::string_view s, const Vars& vars, char esc, bool quotes = true)
      : s_(s), vars_(vars), esc_(esc), quotes_(quotes) {}

  Result<std::string> run() {
    std::string out;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (!quotes_) {
        if (c == esc_ && i_ + 1 < s_.size() && s_[i_ + 1] == '$') {
          out += '$';
          i_ += 2;
        } else if (c == '$') {
          BERTH_ASSIGN_OR_RETURN(auto v, dollar());
          out += v;
        } else {
          out += c;
          ++i_;
        }
        continue;
      }
      if (c == '\'') {
        size_t end = s_.find('\'', i_ + 1);
        if (end == std::string_view::npos) return invalid_argument("unexpected end of statement while looking for matching single-quote");
        out += s_.substr(i_ + 1, end - i_ - 1);
        i_ = end + 1;
      } else if (c == '"') {
        ++i_;
        BERTH_TRY(double_quoted(out));
      } else if (c == esc_) {
        if (i_ + 1 < s_.size()) out += s_[i_ + 1];
        i_ += 2;
      } else if (c == '$') {
        BERTH_ASSIGN_OR_RETURN(auto v, dollar());
        out += v;
      } else {
        out += c;
        ++i_;
      }
    }
    return out;
  }

 private:
  Status double_quoted(std::string& out) {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '"') {
        ++i_;
        return {};
      }
      if (c == esc_ && i_ + 1 < s_.size()) {
        char n = s_[i_ + 1];
        if (n == '"' || n == '$' || n == esc_) {
          out += n;
        } else {
          out += c;
          out += n;
        }
        i_ += 2;
      } else if (c == '$') {
        BERTH_ASSIGN_OR_RETURN(auto v, dollar());
        out += v;
      } else {
        out += c;
        ++i_;
      }
    }
    return invalid_argument("unexpected end of statement while looking for matching double-quote");
  }

  std::optional<std::string> lookup(const std::string& name) const {
    auto it = vars_.find(name);
    if (it == vars_.end()) return std::nullopt;
    return it->second;
  }

  // At a '$'.
  Result<std::string> dollar() {
    ++i_;
    if (i_ >= s_.size()) return std::string("$");
    if (s_[i_] != '{') {
      size_t start = i_;
      while (i_ < s_.size() && name_char(s_[i_])) ++i_;
      if (start == i_) return std::string("$");
      return lookup(std::string(s_.substr(start, i_ - start))).value_or("");
    }
    ++i_;
    size_t start = i_;
    while (i_ < s_.size() && name_char(s_[i_])) ++i_;
    std::string name(s_.substr(start, i_ - start));
    if (name.empty()) return invalid_argument("bad substitution: missing name in ${}");
    if (i_ >= s_.size()) return invalid_argument("missing '}' in ${" + name);
    if (s_[i_] == '}') {
      ++i_;
      return lookup(name).value_or("");
    }
    bool colon = false;
    if (s_[i_] == ':') {
      colon = true;
      ++i_;
    }
    if (i_ >= s_.size()) return invalid_argument("missing '}' in ${" + name);
    char op = s_[i_++];
    // The word runs to the matching '}' and is itself expanded.
    size_t wstart = i_;
    int depth = 1;
    while (i_ < s_.size()) {
      if (s_[i_] == esc_) {
        i_ += 2;
        continue;
      }
      if (s_[i_] == '{') ++depth;
      if (s_[i_] == '}' && --depth == 0) break;
      ++i_;
    }
    if (i_ >= s_.size()) return invalid_argument("missing '}' in ${" + name);
    std::string_view raw = s_.substr(wstart, i_ - wstart);
    ++i_;
    BERTH_ASSIGN_OR_RETURN(std::string word, Expander(raw, vars_, esc_).run());
    auto v = lookup(name);
    bool set = v.has_value() && (!colon || !v->empty());
    switch (op) {
      case '-':
        return set ? *v : word;
      case '+':
        return set ? word : std::string();
      case '?':
        if (!set) return invalid_argument(name + ": " + (word.empty() ? "is not allowed to be unset" : word));
        return *v;
      default:
        return invalid_argument("unsupported modifier (" + std::string(1, op) + ") in substitution");
    }
  }

  std::string_view s_;
  const Vars& vars_;
  char esc_;
  bool quotes_ = true;
  size_t i_ = 0;
};

}  // namespace

Result<std::string> expand_word(std::string_view word, const Vars& vars, char escape) {
  return Expander(word, vars, escape).run();
}

Result<std::string> expand_vars(std::string_view text, const Vars& vars, char escape) {
  return Expander(text, vars, escape, false).run();
}

std::vector<std::string> split_words(std::string_view text, char escape) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote) {
      cur += c;
      if (c == escape && quote == '"' && i + 1 < text.size()) {
        cur += text[++i];
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) out.push_back(std::move(cur));
      cur.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    cur += c;
    if (c == escape && i + 1 < text.size()) {
      cur += text[++i];
    } else if (c == '"' || c == '\'') {
      quote = c;
    }
  }
  if (in_word) out.push_back(std::move(cur));
  return out;
}

Result<std::vector<std::string>> expand_words(std::string_view text, const Vars& vars,
                                              char escape) {
  std::vector<std::string> out;
  for (const auto& w : split_words(text, escape)) {
    BERTH_ASSIGN_OR_RETURN(auto e, expand_word(w, vars, escape));
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace berth::build
