#include "format/internal/lexer.h"

#include <map>

#include "format/internal/text.h"

namespace berth::format::internal {
namespace {

constexpr std::string_view kLeftDelim = "{{";
constexpr std::string_view kRightDelim = "}}";
constexpr std::string_view kTrimRightDelim = " -}}";
constexpr size_t kTrimMarkerLen = 2;  // "- " after "{{", " -" before "}}"

bool has_left_trim_marker(std::string_view s) {
  return s.size() >= 2 && s[0] == '-' && is_space(s[1]);
}
bool has_right_trim_marker(std::string_view s) {
  return s.size() >= 2 && is_space(s[0]) && s[1] == '-';
}

size_t left_trim_length(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && is_space(s[n])) ++n;
  return n;
}

size_t right_trim_length(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && is_space(s[s.size() - 1 - n])) ++n;
  return n;
}

ItemType keyword(std::string_view word) {
  static const std::map<std::string_view, ItemType> kKeywords = {
      {"block", ItemType::kBlock},
      {"break", ItemType::kBreak},
      {"continue", ItemType::kContinue},
      {"define", ItemType::kDefine},
      {"else", ItemType::kElse},
      {"end", ItemType::kEnd},
      {"if", ItemType::kIf},
      {"nil", ItemType::kNil},
      {"range", ItemType::kRange},
      {"template", ItemType::kTemplate},
      {"with", ItemType::kWith},
  };
  auto it = kKeywords.find(word);
  return it == kKeywords.end() ? ItemType::kIdentifier : it->second;
}

// A state machine like Go's lexer, run to completion instead of as a goroutine.
class Lexer {
 public:
  explicit Lexer(std::string_view in) : in_(in) {}

  std::vector<Item> run() {
    while (!done_) {
      if (inside_action_) {
        lex_inside_action();
      } else {
        lex_text();
      }
    }
    return std::move(items_);
  }

 private:
  char peek() const { return pos_ < in_.size() ? in_[pos_] : '\0'; }
  bool at_eof() const { return pos_ >= in_.size(); }
  std::string_view rest() const { return in_.substr(std::min(pos_, in_.size())); }

  int line_at(size_t p) {
    if (p < line_pos_) line_pos_ = 0, line_ = 1;
    for (; line_pos_ < p && line_pos_ < in_.size(); ++line_pos_)
      if (in_[line_pos_] == '\n') ++line_;
    return line_;
  }

  void emit_value(ItemType t, size_t start, std::string val) {
    items_.push_back(Item{t, start, std::move(val), line_at(start)});
  }
  void emit(ItemType t) {
    emit_value(t, start_, std::string(in_.substr(start_, pos_ - start_)));
    start_ = pos_;
  }
  void error(std::string msg) {
    emit_value(ItemType::kError, start_, std::move(msg));
    done_ = true;
  }

  // Is the next input the right delimiter, and does it carry a trim marker?
  std::pair<bool, bool> at_right_delim() const {
    std::string_view r = rest();
    if (has_right_trim_marker(r) && r.substr(kTrimMarkerLen).starts_with(kRightDelim))
      return {true, true};
    return {r.starts_with(kRightDelim), false};
  }

  bool at_terminator() const {
    if (at_eof()) return true;
    char c = peek();
    if (is_space(c)) return true;
    switch (c) {
      case '.':
      case ',':
      case '|':
      case ':':
      case ')':
      case '(':
        return true;
      default:
        return rest().starts_with(kRightDelim);
    }
  }

  void bad_character() {
    size_t size = 0;
    char32_t r = at_eof() ? 0 : decode_rune(in_, pos_, size);
    error("bad character " + format_unicode(r, true));
  }

  void lex_text() {
    size_t x = in_.find(kLeftDelim, pos_);
    if (x == std::string_view::npos) {
      pos_ = in_.size();
      if (pos_ > start_) emit(ItemType::kText);
      emit(ItemType::kEOF);
      done_ = true;
      return;
    }
    if (x > start_) {
      std::string_view text = in_.substr(start_, x - start_);
      if (has_left_trim_marker(in_.substr(x + kLeftDelim.size())))
        text.remove_suffix(right_trim_length(text));
      if (!text.empty()) emit_value(ItemType::kText, start_, std::string(text));
    }
    pos_ = start_ = x;
    lex_left_delim();
  }

  void lex_left_delim() {
    pos_ += kLeftDelim.size();
    size_t after_marker = has_left_trim_marker(rest()) ? kTrimMarkerLen : 0;
    if (rest().substr(after_marker).starts_with("/*")) {
      pos_ += after_marker;
      start_ = pos_;
      lex_comment();
      return;
    }
    emit_value(ItemType::kLeftDelim, start_, std::string(kLeftDelim));
    pos_ += after_marker;
    start_ = pos_;
    inside_action_ = true;
    paren_depth_ = 0;
  }

  void lex_comment() {
    pos_ += 2;
    size_t x = in_.find("*/", pos_);
    if (x == std::string_view::npos) return error("unclosed comment");
    pos_ = x + 2;
    auto [delim, trim] = at_right_delim();
    if (!delim) return error("comment ends before closing delimiter");
    pos_ += (trim ? kTrimMarkerLen : 0) + kRightDelim.size();
    if (trim) pos_ += left_trim_length(rest());
    start_ = pos_;
  }

  void lex_right_delim(bool trim) {
    if (trim) start_ = pos_ += kTrimMarkerLen;
    pos_ += kRightDelim.size();
    emit(ItemType::kRightDelim);
    if (trim) start_ = pos_ += left_trim_length(rest());
    inside_action_ = false;
  }

  void lex_inside_action() {
    auto [delim, trim] = at_right_delim();
    if (delim) {
      if (paren_depth_ == 0) return lex_right_delim(trim);
      return error("unclosed left paren");
    }
    if (at_eof()) return error("unclosed action");
    char c = in_[pos_];
    if (is_space(c)) return lex_space();
    if (c == '"') return lex_quote('"', ItemType::kString, "unterminated quoted string");
    if (c == '\'')
      return lex_quote('\'', ItemType::kCharConstant, "unterminated character constant");
    if (c == '`') return lex_raw_quote();
    if (c == '$') return lex_field_or_variable(ItemType::kVariable);
    if (c == '.' && pos_ + 1 < in_.size() && !(in_[pos_ + 1] >= '0' && in_[pos_ + 1] <= '9'))
      return lex_field_or_variable(ItemType::kField);
    if (c == '.' || c == '+' || c == '-' || (c >= '0' && c <= '9')) return lex_number();
    if (is_alnum(c)) return lex_identifier();
    lex_punctuation(c);
  }

  void lex_punctuation(char c) {
    ++pos_;
    switch (c) {
      case '=':
        return emit(ItemType::kAssign);
      case ':':
        if (peek() != '=') return error("expected :=");
        ++pos_;
        return emit(ItemType::kDeclare);
      case '|':
        return emit(ItemType::kPipe);
      case '(':
        ++paren_depth_;
        return emit(ItemType::kLeftParen);
      case ')':
        if (--paren_depth_ < 0) return error("unexpected right paren");
        return emit(ItemType::kRightParen);
      default:
        break;
    }
    if (c >= 0x20 && c < 0x7F) return emit(ItemType::kChar);
    size_t size = 0;
    char32_t r = decode_rune(in_, pos_ - 1, size);
    error("unrecognized character in action: " + format_unicode(r, true));
  }

  void lex_space() {
    size_t spaces = 0;
    while (!at_eof() && is_space(peek())) ++pos_, ++spaces;
    // " -}}" is a trim-marked delimiter: leave its space for at_right_delim.
    if (in_.substr(pos_ - 1).starts_with(kTrimRightDelim)) {
      --pos_;
      if (spaces == 1) return;
    }
    emit(ItemType::kSpace);
  }

  void lex_quote(char quote, ItemType type, const char* unterminated) {
    ++pos_;
    while (true) {
      if (at_eof() || peek() == '\n') return error(unterminated);
      char c = in_[pos_++];
      if (c == '\\') {
        if (at_eof() || peek() == '\n') return error(unterminated);
        ++pos_;
      } else if (c == quote) {
        break;
      }
    }
    emit(type);
  }

  void lex_raw_quote() {
    size_t x = in_.find('`', pos_ + 1);
    if (x == std::string_view::npos) return error("unterminated raw quoted string");
    pos_ = x + 1;
    emit(ItemType::kRawString);
  }

  // After '.' or '$': a name, or nothing for "." and "$" themselves.
  void lex_field_or_variable(ItemType type) {
    ++pos_;
    if (at_terminator()) return emit(type == ItemType::kVariable ? type : ItemType::kDot);
    while (!at_eof() && is_alnum(peek())) ++pos_;
    if (!at_terminator()) return bad_character();
    emit(type);
  }

  void lex_identifier() {
    while (!at_eof() && is_alnum(peek())) ++pos_;
    if (!at_terminator()) return bad_character();
    std::string_view word = in_.substr(start_, pos_ - start_);
    if (word == "true" || word == "false") return emit(ItemType::kBool);
    emit(keyword(word));
  }

  bool accept(std::string_view valid) {
    if (!at_eof() && valid.find(peek()) != std::string_view::npos) {
      ++pos_;
      return true;
    }
    return false;
  }
  void accept_run(std::string_view valid) {
    while (accept(valid)) {
    }
  }

  // Go's scanNumber: sign, base prefix, digits with '_', fraction, exponent.
  bool scan_number() {
    accept("+-");
    std::string_view digits = "0123456789_";
    if (accept("0")) {
      if (accept("xX")) {
        digits = "0123456789abcdefABCDEF_";
      } else if (accept("oO")) {
        digits = "01234567_";
      } else if (accept("bB")) {
        digits = "01_";
      }
    }
    accept_run(digits);
    if (accept(".")) accept_run(digits);
    if (digits.size() == 11 && accept("eE")) {
      accept("+-");
      accept_run("0123456789_");
    }
    if (digits.size() == 23 && accept("pP")) {
      accept("+-");
      accept_run("0123456789_");
    }
    accept("i");  // imaginary
    if (!at_eof() && is_alnum(peek())) {
      ++pos_;
      return false;
    }
    return true;
  }

  void lex_number() {
    auto bad = [&] { error("bad number syntax: " + go_quote(in_.substr(start_, pos_ - start_))); };
    if (!scan_number()) return bad();
    if (peek() == '+' || peek() == '-') {  // a complex constant such as 1+2i
      if (!scan_number() || in_[pos_ - 1] != 'i') return bad();
    }
    emit(ItemType::kNumber);
  }

  std::string_view in_;
  size_t pos_ = 0;
  size_t start_ = 0;
  size_t line_pos_ = 0;
  int line_ = 1;
  int paren_depth_ = 0;
  bool inside_action_ = false;
  bool done_ = false;
  std::vector<Item> items_;
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One escape sequence after a backslash at s[i]; appends its value. Go's strconv.UnquoteChar.
bool unescape(std::string_view s, size_t& i, char quote, std::string& out) {
  if (++i >= s.size()) return false;
  char c = s[i++];
  switch (c) {
    case 'a':
      out += '\a';
      return true;
    case 'b':
      out += '\b';
      return true;
    case 'f':
      out += '\f';
      return true;
    case 'n':
      out += '\n';
      return true;
    case 'r':
      out += '\r';
      return true;
    case 't':
      out += '\t';
      return true;
    case 'v':
      out += '\v';
      return true;
    case '\\':
      out += '\\';
      return true;
    case '\'':
    case '"':
      if (c != quote) return false;
      out += c;
      return true;
    default:
      break;
  }
  int n = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
  if (n > 0) {
    uint32_t v = 0;
    for (int k = 0; k < n; ++k, ++i) {
      if (i >= s.size() || hex_value(s[i]) < 0) return false;
      v = v * 16 + static_cast<uint32_t>(hex_value(s[i]));
    }
    if (c == 'x') {
      out += static_cast<char>(v);
    } else {
      if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return false;
      append_rune(out, v);
    }
    return true;
  }
  if (c >= '0' && c <= '7') {
    uint32_t v = static_cast<uint32_t>(c - '0');
    for (int k = 0; k < 2; ++k, ++i) {
      if (i >= s.size() || s[i] < '0' || s[i] > '7') return false;
      v = v * 8 + static_cast<uint32_t>(s[i] - '0');
    }
    if (v > 255) return false;
    out += static_cast<char>(v);
    return true;
  }
  return false;
}

}  // namespace

std::string item_string(const Item& item) {
  if (item.type == ItemType::kEOF) return "EOF";
  if (item.type == ItemType::kError) return item.val;
  if (item.type > ItemType::kKeyword) return "<" + item.val + ">";
  if (rune_count(item.val) > 10) return go_quote(rune_prefix(item.val, 10)) + "...";
  return go_quote(item.val);
}

std::vector<Item> lex(std::string_view input) { return Lexer(input).run(); }

bool unquote(std::string_view q, std::string& out) {
  out.clear();
  if (q.size() < 2 || q.front() != q.back()) return false;
  char quote = q.front();
  std::string_view body = q.substr(1, q.size() - 2);
  if (quote == '`') {
    if (body.find('`') != std::string_view::npos) return false;
    for (char c : body)
      if (c != '\r') out += c;  // Go drops carriage returns from raw strings
    return true;
  }
  if (quote != '"' && quote != '\'') return false;
  for (size_t i = 0; i < body.size();) {
    char c = body[i];
    if (c == quote || c == '\n') return false;
    if (c == '\\') {
      if (!unescape(body, i, quote, out)) return false;
    } else {
      out += c;
      ++i;
    }
  }
  if (quote == '\'') {
    size_t size = 0;
    if (out.empty() || (decode_rune(out, 0, size), size != out.size())) return false;
  }
  return true;
}

}  // namespace berth::format::internal
