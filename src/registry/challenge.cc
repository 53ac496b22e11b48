#include "registry/challenge.h"

#include "base/strings.h"

namespace berth::registry {
namespace {

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~/").find(c) != std::string_view::npos;
}

struct Lexer {
  std::string_view s;
  size_t i = 0;
  void skip_ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  }
  std::string token() {
    size_t b = i;
    while (i < s.size() && is_token_char(s[i])) ++i;
    return std::string(s.substr(b, i - b));
  }
  // A quoted string starting at s[i] == '"'.
  std::string quoted() {
    std::string out;
    ++i;
    while (i < s.size() && s[i] != '"') {
      if (s[i] == '\\' && i + 1 < s.size()) ++i;
      out.push_back(s[i++]);
    }
    if (i < s.size()) ++i;  // closing quote
    return out;
  }
  bool at(char c) const { return i < s.size() && s[i] == c; }
};

}  // namespace

std::vector<Challenge> parse_www_authenticate(std::string_view header) {
  std::vector<Challenge> out;
  Lexer lx{header};
  while (true) {
    lx.skip_ws();
    while (lx.at(',')) {
      ++lx.i;
      lx.skip_ws();
    }
    if (lx.i >= header.size()) break;
    std::string scheme = lx.token();
    if (scheme.empty()) break;  // garbage: stop, keep what parsed
    Challenge ch{to_lower(scheme), {}};
    // Parameters: name=value pairs separated by commas, until a token not followed by '='
    // (the next challenge's scheme).
    while (true) {
      lx.skip_ws();
      while (lx.at(',')) {
        ++lx.i;
        lx.skip_ws();
      }
      size_t save = lx.i;
      std::string name = lx.token();
      lx.skip_ws();
      if (name.empty() || !lx.at('=')) {
        lx.i = save;
        break;
      }
      ++lx.i;
      lx.skip_ws();
      std::string value = lx.at('"') ? lx.quoted() : lx.token();
      ch.params[to_lower(name)] = value;
    }
    out.push_back(std::move(ch));
  }
  return out;
}

}  // namespace berth::registry
