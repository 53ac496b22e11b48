#include "format/internal/gofmt.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "format/internal/float_format.h"
#include "format/internal/text.h"

namespace berth::format::internal {
namespace {

bool can_backquote(std::string_view s) {
  for (size_t i = 0, size = 0; i < s.size(); i += size) {
    char32_t r = decode_rune(s, i, size);
    if ((r == kRuneError && size == 1) || r == '`' || r == 0xFEFF) return false;
    if (r < ' ' && r != '\t') return false;
    if (r == 0x7F) return false;
  }
  return true;
}

struct Flags {
  bool plus = false, minus = false, sharp = false, space = false, zero = false;
  bool plus_v = false, sharp_v = false;
  bool wid_present = false, prec_present = false;
  int wid = 0, prec = 0;
};

class Printer {
 public:
  std::string buf;
  Flags f;

  void print_arg(const json& j, char32_t verb) {
    if (j.is_null()) {
      if (verb == 'T' || verb == 'v') return pad("<nil>");
      return bad_verb(nullptr, verb);
    }
    if (verb == 'T') return fmt_s(type_name(j));
    print_value(j, verb, 0);
  }

  void bad_verb(const json* j, char32_t verb) {
    buf += "%!";
    append_rune(buf, verb);
    buf += '(';
    if (j && !j->is_null()) {
      buf += type_name(*j) + "=";
      print_arg(*j, 'v');
    } else {
      buf += "<nil>";
    }
    buf += ')';
  }

 private:
  void write_padding(int n) {
    if (n > 0) buf.append(static_cast<size_t>(n), f.zero ? '0' : ' ');
  }

  void pad(std::string_view s) {
    if (!f.wid_present || f.wid == 0) {
      buf += s;
      return;
    }
    int width = f.wid - static_cast<int>(rune_count(s));
    if (!f.minus) write_padding(width);
    buf += s;
    if (f.minus) write_padding(width);
  }

  // Pads without zero filling: numbers place their zeros themselves.
  void pad_spaces(std::string_view s) {
    bool old = f.zero;
    f.zero = false;
    pad(s);
    f.zero = old;
  }

  std::string_view truncate(std::string_view s) const {
    return f.prec_present ? rune_prefix(s, static_cast<size_t>(f.prec)) : s;
  }

  void fmt_s(std::string_view s) { pad(truncate(s)); }

  void fmt_q(std::string_view s) {
    s = truncate(s);
    if (f.sharp && can_backquote(s)) return pad("`" + std::string(s) + "`");
    pad(go_quote(s, f.plus));
  }

  void fmt_sx(std::string_view s, bool upper) {
    const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    size_t length = s.size();
    if (f.prec_present && static_cast<size_t>(f.prec) < length)
      length = static_cast<size_t>(f.prec);
    std::string out;
    if (f.sharp && length > 0) out += upper ? "0X" : "0x";
    for (size_t i = 0; i < length; ++i) {
      if (f.space && i > 0) {
        out += ' ';
        if (f.sharp) out += upper ? "0X" : "0x";
      }
      auto c = static_cast<unsigned char>(s[i]);
      out += digits[c >> 4];
      out += digits[c & 0xF];
    }
    pad(out);
  }

  // Go's fmt.fmtInteger: precision or zero flag give leading zeros, then prefix and sign.
  void fmt_integer(uint64_t u, bool negative, int base, char32_t verb, bool upper) {
    const char* digits = upper ? "0123456789ABCDEFX" : "0123456789abcdefx";
    int prec = 0;
    if (f.prec_present) {
      prec = f.prec;
      if (prec == 0 && u == 0) return pad_spaces("");
    } else if (f.zero && !f.minus && f.wid_present) {
      prec = f.wid;
      if (negative || f.plus || f.space) --prec;
    }
    std::string rev;
    do {
      rev += digits[u % static_cast<uint64_t>(base)];
      u /= static_cast<uint64_t>(base);
    } while (u > 0);
    while (static_cast<int>(rev.size()) < prec) rev += '0';
    if (f.sharp) {
      if (base == 2) rev += "b0";
      if (base == 8 && rev.back() != '0') rev += '0';
      if (base == 16) rev += std::string{digits[16], '0'};
    }
    if (verb == 'O') rev += "o0";
    if (negative) {
      rev += '-';
    } else if (f.plus) {
      rev += '+';
    } else if (f.space) {
      rev += ' ';
    }
    pad_spaces(std::string(rev.rbegin(), rev.rend()));
  }

  // Go's fmtUnicode: "U+" and at least 4 (or the precision's) hex digits, then the character
  // itself with '#'.
  void fmt_unicode(uint64_t u) {
    char hex[32];
    int prec = f.prec_present && f.prec > 4 ? std::min(f.prec, 20) : 4;
    std::snprintf(hex, sizeof hex, "U+%0*llX", prec, static_cast<unsigned long long>(u));
    std::string s = hex;
    if (f.sharp && u <= 0x10FFFF && is_print(static_cast<char32_t>(u))) {
      s += " '";
      append_rune(s, static_cast<char32_t>(u));
      s += '\'';
    }
    pad_spaces(s);
  }

  void print_integer(const json& j, uint64_t u, bool negative, char32_t verb) {
    auto rune = static_cast<char32_t>(negative || u > 0x10FFFF ? kRuneError : u);
    switch (verb) {
      case 'v':
      case 'd':
        return fmt_integer(u, negative, 10, verb, false);
      case 'b':
        return fmt_integer(u, negative, 2, verb, false);
      case 'o':
      case 'O':
        return fmt_integer(u, negative, 8, verb, false);
      case 'x':
        return fmt_integer(u, negative, 16, verb, false);
      case 'X':
        return fmt_integer(u, negative, 16, verb, true);
      case 'c': {
        std::string s;
        append_rune(s, rune);
        return pad(s);
      }
      case 'q':
        return pad(go_quote_rune(rune, f.plus));
      case 'U':
        return fmt_unicode(negative ? 0 - u : u);
      default:
        return bad_verb(&j, verb);
    }
  }

  // Go's fmt.fmtFloat: sign handling, zero padding after the sign, Inf/NaN unpadded by zeros.
  // The '#' flag: always a decimal point, and %g keeps its trailing zeros (Go's fmtFloat).
  static void apply_sharp(std::string& num, char32_t verb, int prec) {
    int digits = 0;
    if (verb == 'g' || verb == 'G' || verb == 'x') digits = prec < 0 ? 6 : prec;
    std::string tail;
    bool has_point = false, nonzero = false;
    for (size_t i = 1; i < num.size(); ++i) {
      char c = num[i];
      if (c == '.') {
        has_point = true;
      } else if (c == 'p' || c == 'P' || ((c == 'e' || c == 'E') && verb != 'x' && verb != 'X')) {
        tail = num.substr(i);
        num.resize(i);
        break;
      } else {
        if (c != '0') nonzero = true;
        if (nonzero) --digits;
      }
    }
    if (!has_point) {
      if (num.size() == 2 && num[1] == '0') --digits;
      num += '.';
    }
    if (digits > 0) num.append(static_cast<size_t>(digits), '0');
    num += tail;
  }

  void print_float(double v, char32_t verb) {
    int prec = -1;
    switch (verb) {
      case 'v':
        verb = 'g';
        break;
      case 'g':
      case 'G':
      case 'x':
      case 'X':
      case 'b':
        break;
      case 'e':
      case 'E':
      case 'f':
      case 'F':
        prec = 6;
        break;
      default: {
        json j = v;
        return bad_verb(&j, verb);
      }
    }
    if (f.prec_present) prec = f.prec;
    std::string num = format_float(v, verb == 'F' ? 'f' : static_cast<char>(verb), prec);
    if (num[0] != '-' && num[0] != '+') num = "+" + num;
    if (f.space && num[0] == '+' && !f.plus) num[0] = ' ';
    if (num[1] == 'I' || num[1] == 'N') {
      if (num[1] == 'N' && !f.space && !f.plus) num = num.substr(1);
      return pad_spaces(num);
    }
    if (f.sharp && verb != 'b') apply_sharp(num, verb, prec);
    if (f.plus || num[0] != '+') {
      if (f.zero && !f.minus && f.wid_present && f.wid > static_cast<int>(num.size())) {
        buf += num[0];
        write_padding(f.wid - static_cast<int>(num.size()));
        buf += num.substr(1);
        return;
      }
      return pad(num);
    }
    pad(num.substr(1));
  }

  static bool is_float_verb(char32_t verb) {
    return verb == 'e' || verb == 'E' || verb == 'f' || verb == 'F' || verb == 'g' || verb == 'G';
  }

  // JSON keeps no int/float distinction: integral floats print as integers, and integers accept
  // the float verbs.
  void print_number(const json& j, char32_t verb) {
    if (is_float_verb(verb)) return print_float(j.get<double>(), verb);
    bool hex_or_binary = verb == 'x' || verb == 'X' || verb == 'b';
    if (j.is_number_float() && hex_or_binary && !as_int(j))
      return print_float(j.get<double>(), verb);
    if (j.is_number_unsigned()) return print_integer(j, j.get<uint64_t>(), false, verb);
    std::optional<int64_t> i = as_int(j);
    if (!i && j.is_number_float() && verb == 'v') return print_float(j.get<double>(), verb);
    if (!i) return bad_verb(&j, verb);
    print_integer(j, *i < 0 ? 0 - static_cast<uint64_t>(*i) : static_cast<uint64_t>(*i), *i < 0,
                  verb);
  }

  void print_string(const json& j, char32_t verb) {
    const auto& s = j.get_ref<const std::string&>();
    switch (verb) {
      case 'v':
        return f.sharp_v ? fmt_q(s) : fmt_s(s);
      case 's':
        return fmt_s(s);
      case 'x':
        return fmt_sx(s, false);
      case 'X':
        return fmt_sx(s, true);
      case 'q':
        return fmt_q(s);
      default:
        return bad_verb(&j, verb);
    }
  }

  void print_container(const json& j, char32_t verb, int depth) {
    bool object = j.is_object();
    if (f.sharp_v)
      buf += object ? "map[string]interface {}{" : "[]interface {}{";
    else
      buf += object ? "map[" : "[";
    bool first = true;
    for (const auto& [k, v] : j.items()) {
      if (!first) buf += f.sharp_v ? ", " : " ";
      first = false;
      if (object) {
        print_value(json(k), verb, depth + 1);
        buf += ':';
      }
      print_value(v, verb, depth + 1);
    }
    buf += f.sharp_v ? '}' : ']';
  }

 public:
  void print_value(const json& j, char32_t verb, int depth) {
    switch (j.type()) {
      case json::value_t::null:
        buf += f.sharp_v ? "interface {}(nil)" : "<nil>";
        return;
      case json::value_t::boolean:
        if (verb == 't' || verb == 'v') return pad(j.get<bool>() ? "true" : "false");
        return bad_verb(&j, verb);
      case json::value_t::number_integer:
      case json::value_t::number_unsigned:
      case json::value_t::number_float:
        return print_number(j, verb);
      case json::value_t::string:
        return print_string(j, verb);
      case json::value_t::array:
      case json::value_t::object:
        return print_container(j, verb, depth);
      default:
        return bad_verb(&j, verb);
    }
  }
};

// Parses a decimal number at format[i..end); Go's parsenum, with its 1e6 limit.
bool parse_num(std::string_view format, size_t& i, int& num) {
  bool present = false;
  num = 0;
  for (; i < format.size() && format[i] >= '0' && format[i] <= '9'; ++i) {
    if (num > 1000000) return false;
    num = num * 10 + (format[i] - '0');
    present = true;
  }
  return present;
}

class Formatter {
 public:
  Formatter(std::string_view format, const Args& args) : format_(format), args_(args) {}

  std::string run() {
    for (size_t i = 0; i < format_.size();) {
      size_t start = i;
      while (i < format_.size() && format_[i] != '%') ++i;
      p_.buf.append(format_.substr(start, i - start));
      if (i >= format_.size()) break;
      ++i;
      if (!one_verb(i)) break;
    }
    if (!reordered_ && arg_num_ < args_.size()) extra_args();
    return std::move(p_.buf);
  }

 private:
  void parse_flags(size_t& i) {
    for (; i < format_.size(); ++i) {
      switch (format_[i]) {
        case '#':
          p_.f.sharp = true;
          break;
        case '0':
          p_.f.zero = !p_.f.minus;
          break;  // zero padding only to the left
        case '+':
          p_.f.plus = true;
          break;
        case '-':
          p_.f.minus = true;
          p_.f.zero = false;
          break;
        case ' ':
          p_.f.space = true;
          break;
        default:
          return;
      }
    }
  }

  // "[n]" explicit argument index.
  bool arg_number(size_t& i) {
    if (i >= format_.size() || format_[i] != '[') return false;
    reordered_ = true;
    size_t close = format_.find(']', i);
    if (close == std::string_view::npos) {
      good_arg_num_ = false;
      ++i;
      return false;
    }
    size_t j = i + 1;
    int n = 0;
    bool ok = parse_num(format_, j, n) && j == close;
    i = close + 1;
    if (ok && n >= 1 && static_cast<size_t>(n) <= args_.size()) {
      arg_num_ = static_cast<size_t>(n - 1);
      return true;
    }
    good_arg_num_ = false;
    return ok;
  }

  // A '*' width or precision taken from the next argument.
  bool int_from_arg(int& out) {
    if (arg_num_ >= args_.size()) return false;
    auto v = as_int(*args_[arg_num_++]);
    if (!v || *v > 1000000 || *v < -1000000) return false;
    out = static_cast<int>(*v);
    return true;
  }

  void width_and_precision(size_t& i, bool& after_index) {
    Flags& f = p_.f;
    if (i < format_.size() && format_[i] == '*') {
      ++i;
      f.wid_present = int_from_arg(f.wid);
      if (!f.wid_present) p_.buf += "%!(BADWIDTH)";
      if (f.wid < 0) {
        f.wid = -f.wid;
        f.minus = true;
        f.zero = false;
      }
      after_index = false;
    } else {
      f.wid_present = parse_num(format_, i, f.wid);
      if (after_index && f.wid_present) good_arg_num_ = false;
    }
    if (i + 1 < format_.size() && format_[i] == '.') {
      ++i;
      if (after_index) good_arg_num_ = false;
      after_index = arg_number(i);
      if (i < format_.size() && format_[i] == '*') {
        ++i;
        f.prec_present = int_from_arg(f.prec);
        if (f.prec < 0) f.prec = 0, f.prec_present = false;
        if (!f.prec_present) p_.buf += "%!(BADPREC)";
        after_index = false;
      } else {
        f.prec_present = true;
        if (!parse_num(format_, i, f.prec)) f.prec = 0;
      }
    }
  }

  // Formats one directive after its '%'; false when the format ends without a verb.
  bool one_verb(size_t& i) {
    p_.f = Flags{};
    good_arg_num_ = true;
    parse_flags(i);
    bool after_index = arg_number(i);
    width_and_precision(i, after_index);
    if (!after_index) arg_number(i);
    if (i >= format_.size()) {
      p_.buf += "%!(NOVERB)";
      return false;
    }
    size_t size = 1;
    char32_t verb = decode_rune(format_, i, size);
    i += size;
    if (verb == '%') {
      p_.buf += '%';
    } else if (!good_arg_num_) {
      missing(verb, "BADINDEX");
    } else if (arg_num_ >= args_.size()) {
      missing(verb, "MISSING");
    } else {
      if (verb == 'v') {
        p_.f.sharp_v = p_.f.sharp;
        p_.f.sharp = false;
        p_.f.plus_v = p_.f.plus;
        p_.f.plus = false;
      }
      p_.print_arg(*args_[arg_num_++], verb);
    }
    return true;
  }

  void missing(char32_t verb, const char* what) {
    p_.buf += "%!";
    append_rune(p_.buf, verb);
    p_.buf += std::string("(") + what + ")";
  }

  void extra_args() {
    p_.f = Flags{};
    p_.buf += "%!(EXTRA ";
    for (size_t k = arg_num_; k < args_.size(); ++k) {
      if (k > arg_num_) p_.buf += ", ";
      if (args_[k]->is_null()) {
        p_.buf += "<nil>";
      } else {
        p_.buf += type_name(*args_[k]) + "=";
        p_.print_arg(*args_[k], 'v');
      }
    }
    p_.buf += ')';
  }

  std::string_view format_;
  const Args& args_;
  Printer p_;
  size_t arg_num_ = 0;
  bool reordered_ = false;
  bool good_arg_num_ = true;
};

}  // namespace

std::string sprint_value(const json& v) {
  Printer p;
  p.print_arg(v, 'v');
  return std::move(p.buf);
}

std::string go_sprint(const Args& args) {
  Printer p;
  bool prev_string = false;
  for (size_t i = 0; i < args.size(); ++i) {
    bool is_string = args[i]->is_string();
    // Like Go: a space between operands when neither side is a string.
    if (i > 0 && !is_string && !prev_string) p.buf += ' ';
    p.print_arg(*args[i], 'v');
    prev_string = is_string;
  }
  return std::move(p.buf);
}

std::string go_sprintln(const Args& args) {
  Printer p;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) p.buf += ' ';
    p.print_arg(*args[i], 'v');
  }
  p.buf += '\n';
  return std::move(p.buf);
}

std::string go_sprintf(std::string_view format, const Args& args) {
  return Formatter(format, args).run();
}

}  // namespace berth::format::internal
