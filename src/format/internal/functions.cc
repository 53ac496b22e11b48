#include "format/internal/functions.h"

#include <map>
#include <string>

#include "format/internal/gofmt.h"
#include "format/internal/text.h"

namespace berth::format::internal {
namespace {

using Values = std::vector<Value>;

Value make(json j) { return Value::own(std::move(j)); }
const std::string& str(const Value& v) { return v.get().get_ref<const std::string&>(); }
int64_t num(const Value& v) { return as_int(v.get()).value_or(0); }

// ---- comparison (Go's eq/lt with numbers compared by value whatever their JSON type) ----

enum class Kind { kNil, kBool, kNumber, kString, kOther };

Kind kind_of(const Value& v) {
  if (!v.valid() || v.get().is_null()) return Kind::kNil;
  const json& j = v.get();
  if (j.is_boolean()) return Kind::kBool;
  if (j.is_number()) return Kind::kNumber;
  if (j.is_string()) return Kind::kString;
  return Kind::kOther;
}

// -1, 0, 1 comparing two JSON numbers; exact for integers of either sign.
int compare_numbers(const json& a, const json& b) {
  if (a.is_number_integer() && b.is_number_integer()) {
    bool an = !a.is_number_unsigned() && a.get<int64_t>() < 0;
    bool bn = !b.is_number_unsigned() && b.get<int64_t>() < 0;
    if (an != bn) return an ? -1 : 1;
    if (an) return a.get<int64_t>() < b.get<int64_t>() ? -1 : a.get<int64_t>() > b.get<int64_t>();
    auto au = a.get<uint64_t>(), bu = b.get<uint64_t>();
    return au < bu ? -1 : au > bu;
  }
  double x = a.get<double>(), y = b.get<double>();
  return x < y ? -1 : x > y;
}

Result<bool> equal(const Value& a, const Value& b) {
  Kind ka = kind_of(a), kb = kind_of(b);
  if (ka != kb) {
    if (ka == Kind::kNil || kb == Kind::kNil) return false;
    return invalid_argument("incompatible types for comparison");
  }
  switch (ka) {
    case Kind::kNil:
      return true;
    case Kind::kBool:
      return a.get().get<bool>() == b.get().get<bool>();
    case Kind::kNumber:
      return compare_numbers(a.get(), b.get()) == 0;
    case Kind::kString:
      return str(a) == str(b);
    default:
      return invalid_argument("non-comparable type " + type_name(a.get()));
  }
}

// Go's lt: only basic kinds (bool, numbers, strings) compare, then only like with like, and
// bools have no order.
Result<bool> less(const Value& a, const Value& b) {
  Kind ka = kind_of(a), kb = kind_of(b);
  for (Kind k : {ka, kb})
    if (k == Kind::kNil || k == Kind::kOther)
      return invalid_argument("invalid type for comparison");
  if (ka != kb) return invalid_argument("incompatible types for comparison");
  if (ka == Kind::kBool) return invalid_argument("invalid type for comparison");
  if (ka == Kind::kNumber) return compare_numbers(a.get(), b.get()) < 0;
  return str(a) < str(b);
}

Result<Value> fn_eq(const Values& args) {
  if (args.size() < 2) return invalid_argument("missing argument for comparison");
  for (size_t i = 1; i < args.size(); ++i) {
    BERTH_ASSIGN_OR_RETURN(bool same, equal(args[0], args[i]));
    if (same) return make(true);
  }
  return make(false);
}

Result<Value> fn_ne(const Values& args) {
  BERTH_ASSIGN_OR_RETURN(bool same, equal(args[0], args[1]));
  return make(!same);
}

Result<Value> fn_lt(const Values& args) {
  BERTH_ASSIGN_OR_RETURN(bool lt, less(args[0], args[1]));
  return make(lt);
}

Result<Value> fn_le(const Values& args) {
  BERTH_ASSIGN_OR_RETURN(bool lt, less(args[0], args[1]));
  if (lt) return make(true);
  BERTH_ASSIGN_OR_RETURN(bool same, equal(args[0], args[1]));
  return make(same);
}

Result<Value> fn_gt(const Values& args) {
  BERTH_ASSIGN_OR_RETURN(Value le, fn_le(args));
  return make(!le.get().get<bool>());
}

Result<Value> fn_ge(const Values& args) {
  BERTH_ASSIGN_OR_RETURN(bool lt, less(args[0], args[1]));
  return make(!lt);
}

Result<Value> fn_not(const Values& args) { return make(!truth(args[0])); }

// ---- collections ----

// A nil or missing collection counts as empty (Docker's typed nil slices and maps).
Result<Value> fn_len(const Values& args) {
  if (!args[0].valid()) return invalid_argument("len of untyped nil");
  const json& j = args[0].get();
  if (j.is_null()) return make(0);
  if (j.is_string()) return make(static_cast<int64_t>(j.get_ref<const std::string&>().size()));
  if (j.is_array() || j.is_object()) return make(static_cast<int64_t>(j.size()));
  return invalid_argument("len of type " + type_name(j));
}

Result<size_t> index_arg(const Value& index, size_t len) {
  if (kind_of(index) == Kind::kNil) return invalid_argument("cannot index slice/array with nil");
  auto x = as_int(index.get());
  if (!x) return invalid_argument("cannot index slice/array with type " + type_name(index.get()));
  if (*x < 0 || static_cast<uint64_t>(*x) > len)
    return invalid_argument("index out of range: " + std::to_string(*x));
  return static_cast<size_t>(*x);
}

// What index yields for a key a map lacks. Go gives the element type's zero value: "" for
// Docker's typed label maps (map[string]string), so a map holding only strings gives ""; for
// map[string]interface{} Go's nil turns into "no value", and so does ours.
Value zero_element(const json& object) {
  for (const auto& el : object)
    if (!el.is_string()) return Value();
  return make("");
}

Result<Value> index_one(const Value& item, const Value& key) {
  if (kind_of(item) == Kind::kNil) {
    if (kind_of(key) == Kind::kString) return make("");  // a nil map[string]string
    return invalid_argument("index of untyped nil");
  }
  const json& j = item.get();
  if (j.is_object()) {
    if (kind_of(key) != Kind::kString)
      return invalid_argument("value has type " + (key.valid() ? type_name(key.get()) : "<nil>") +
                              "; should be string");
    auto it = j.find(str(key));
    return it == j.end() ? zero_element(j) : item.child(*it);
  }
  if (!j.is_array() && !j.is_string())
    return invalid_argument("can't index item of type " + type_name(j));
  size_t len = j.is_array() ? j.size() : j.get_ref<const std::string&>().size();
  BERTH_ASSIGN_OR_RETURN(size_t x, index_arg(key, len));
  if (x >= len) return invalid_argument("index out of range: " + std::to_string(x));
  if (j.is_array()) return item.child(j[x]);
  return make(static_cast<unsigned char>(j.get_ref<const std::string&>()[x]));
}

Result<Value> fn_index(const Values& args) {
  Value item = args[0];
  if (!item.valid() && args.size() == 1) return invalid_argument("index of untyped nil");
  for (size_t i = 1; i < args.size(); ++i) {
    // Only the outermost map may be nil (a typed nil map in Docker's data); a nil met on the way
    // is an error, as in Go.
    if (i > 1 && kind_of(item) == Kind::kNil) return invalid_argument("index of nil pointer");
    BERTH_ASSIGN_OR_RETURN(item, index_one(item, args[i]));
  }
  return item;
}

Result<Value> fn_slice(const Values& args) {
  if (kind_of(args[0]) == Kind::kNil) return invalid_argument("slice of untyped nil");
  const json& j = args[0].get();
  size_t n_idx = args.size() - 1;
  if (n_idx > 3) return invalid_argument("too many slice indexes: " + std::to_string(n_idx));
  if (!j.is_string() && !j.is_array())
    return invalid_argument("can't slice item of type " + type_name(j));
  if (j.is_string() && n_idx == 3) return invalid_argument("cannot 3-index slice a string");
  size_t len = j.is_array() ? j.size() : j.get_ref<const std::string&>().size();
  size_t idx[3] = {0, len, len};
  for (size_t i = 0; i < n_idx; ++i) {
    BERTH_ASSIGN_OR_RETURN(idx[i], index_arg(args[i + 1], len));
  }
  if (idx[0] > idx[1])
    return invalid_argument("invalid slice index: " + std::to_string(idx[0]) + " > " +
                            std::to_string(idx[1]));
  if (n_idx == 3 && idx[1] > idx[2])
    return invalid_argument("invalid slice index: " + std::to_string(idx[1]) + " > " +
                            std::to_string(idx[2]));
  if (j.is_string()) return make(j.get_ref<const std::string&>().substr(idx[0], idx[1] - idx[0]));
  json out = json::array();
  for (size_t i = idx[0]; i < idx[1]; ++i) out.push_back(j[i]);
  return make(std::move(out));
}

// ---- printing ----

Args pointers(const Values& args, size_t from = 0) {
  Args out;
  for (size_t i = from; i < args.size(); ++i) out.push_back(&args[i].get());
  return out;
}

Result<Value> fn_print(const Values& args) { return make(go_sprint(pointers(args))); }
Result<Value> fn_println(const Values& args) { return make(go_sprintln(pointers(args))); }
Result<Value> fn_printf(const Values& args) {
  return make(go_sprintf(str(args[0]), pointers(args, 1)));
}

// Go's evalArgs for html/js/urlquery: a lone string as is, anything else through Sprint, where
// nil prints as "<no value>".
std::string escaper_input(const Values& args) {
  if (args.size() == 1 && args[0].get().is_string()) return str(args[0]);
  static const json kNoValue = "<no value>";
  Args printable = pointers(args);
  for (auto& p : printable)
    if (p->is_null()) p = &kNoValue;
  return go_sprint(printable);
}

Result<Value> fn_html(const Values& args) {
  std::string out;
  for (char c : escaper_input(args)) {
    switch (c) {
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\0':
        out += "\xEF\xBF\xBD";
        break;
      default:
        out += c;
    }
  }
  return make(out);
}

Result<Value> fn_js(const Values& args) {
  static const char* kHex = "0123456789ABCDEF";
  std::string s = escaper_input(args), out;
  for (size_t i = 0, size = 0; i < s.size(); i += size) {
    char32_t r = decode_rune(s, i, size);
    switch (r) {
      case '\\':
        out += "\\\\";
        continue;
      case '\'':
        out += "\\'";
        continue;
      case '"':
        out += "\\\"";
        continue;
      case '<':
        out += "\\u003C";
        continue;
      case '>':
        out += "\\u003E";
        continue;
      case '&':
        out += "\\u0026";
        continue;
      case '=':
        out += "\\u003D";
        continue;
      default:
        break;
    }
    if (r < ' ' || (r >= 0x80 && !is_print(r))) {
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(r >> shift) & 0xF];
    } else {
      out.append(s, i, size);
    }
  }
  return make(out);
}

Result<Value> fn_urlquery(const Values& args) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (char ch : escaper_input(args)) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return make(out);
}

// ---- Docker's functions ----

Result<Value> fn_json(const Values& args) { return make(to_go_json(args[0].get())); }

Result<Value> fn_split(const Values& args) {
  const std::string& s = str(args[0]);
  const std::string& sep = str(args[1]);
  json out = json::array();
  if (sep.empty()) {  // Go splits into UTF-8 sequences
    for (size_t i = 0, size = 0; i < s.size(); i += size) {
      decode_rune(s, i, size);
      out.push_back(s.substr(i, size));
    }
    return make(std::move(out));
  }
  size_t start = 0;
  for (size_t pos; (pos = s.find(sep, start)) != std::string::npos; start = pos + sep.size())
    out.push_back(s.substr(start, pos - start));
  out.push_back(s.substr(start));
  return make(std::move(out));
}

Result<Value> fn_join(const Values& args) {
  std::string out;
  const json& list = args[0].get();
  if (list.is_array()) {
    for (size_t i = 0; i < list.size(); ++i) {
      if (i) out += str(args[1]);
      out += list[i].get_ref<const std::string&>();
    }
  }
  return make(out);
}

// Simple case mapping for ASCII, Latin-1, Greek and Cyrillic; Go maps all of Unicode.
char32_t to_upper_rune(char32_t r) {
  if ((r >= 'a' && r <= 'z') || (r >= 0xE0 && r <= 0xFE && r != 0xF7) ||
      (r >= 0x3B1 && r <= 0x3CB && r != 0x3C2) || (r >= 0x430 && r <= 0x44F))
    return r - 0x20;
  if (r == 0x3C2) return 0x3A3;
  if (r >= 0x450 && r <= 0x45F) return r - 0x50;
  return r;
}

char32_t to_lower_rune(char32_t r) {
  if ((r >= 'A' && r <= 'Z') || (r >= 0xC0 && r <= 0xDE && r != 0xD7) ||
      (r >= 0x391 && r <= 0x3AB && r != 0x3A2) || (r >= 0x410 && r <= 0x42F))
    return r + 0x20;
  if (r >= 0x400 && r <= 0x40F) return r + 0x50;
  return r;
}

template <typename F>
std::string map_runes(const std::string& s, F f) {
  std::string out;
  for (size_t i = 0, size = 0; i < s.size(); i += size) {
    char32_t r = decode_rune(s, i, size);
    if (r == kRuneError && size == 1) {
      out += s[i];  // keep invalid bytes as they are
      continue;
    }
    append_rune(out, f(r));
  }
  return out;
}

// strings.Title's word boundaries: anything but letters, digits and '_'.
bool is_separator(char32_t r) {
  if (r < 0x80)
    return !((r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') ||
             r == '_');
  return r == 0x85 || r == 0xA0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200A) || r == 0x2028 ||
         r == 0x2029 || r == 0x202F || r == 0x205F || r == 0x3000;
}

Result<Value> fn_title(const Values& args) {
  char32_t prev = ' ';
  return make(map_runes(str(args[0]), [&](char32_t r) {
    char32_t out = is_separator(prev) ? to_upper_rune(r) : r;
    prev = r;
    return out;
  }));
}

Result<Value> fn_lower(const Values& args) { return make(map_runes(str(args[0]), to_lower_rune)); }
Result<Value> fn_upper(const Values& args) { return make(map_runes(str(args[0]), to_upper_rune)); }

Result<Value> fn_pad(const Values& args) {
  const std::string& s = str(args[0]);
  if (s.empty()) return make(s);
  if (num(args[1]) < 0 || num(args[2]) < 0)
    return invalid_argument("strings: negative Repeat count");
  return make(std::string(static_cast<size_t>(num(args[1])), ' ') + s +
              std::string(static_cast<size_t>(num(args[2])), ' '));
}

Result<Value> fn_truncate(const Values& args) {
  const std::string& s = str(args[0]);
  int64_t n = num(args[1]);
  if (static_cast<int64_t>(s.size()) < n) return make(s);
  if (n < 0)
    return invalid_argument("runtime error: slice bounds out of range [:" + std::to_string(n) +
                            "]");
  return make(s.substr(0, static_cast<size_t>(n)));
}

Result<Value> fn_first(const Values& args) { return args[0]; }

using P = ParamKind;

const std::map<std::string_view, FuncSpec>& basic_functions() {
  static const std::map<std::string_view, FuncSpec> kFuncs = {
      {"and", {{P::kValue, P::kValue}, true, true, nullptr}},
      {"or", {{P::kValue, P::kValue}, true, true, nullptr}},
      {"not", {{P::kValue}, false, false, fn_not}},
      {"eq", {{P::kValue, P::kValue}, true, false, fn_eq}},
      {"ne", {{P::kValue, P::kValue}, false, false, fn_ne}},
      {"lt", {{P::kValue, P::kValue}, false, false, fn_lt}},
      {"le", {{P::kValue, P::kValue}, false, false, fn_le}},
      {"gt", {{P::kValue, P::kValue}, false, false, fn_gt}},
      {"ge", {{P::kValue, P::kValue}, false, false, fn_ge}},
      {"len", {{P::kValue}, false, false, fn_len}},
      {"index", {{P::kValue, P::kValue}, true, false, fn_index}},
      {"slice", {{P::kValue, P::kValue}, true, false, fn_slice}},
      {"print", {{P::kAny}, true, false, fn_print}},
      {"println", {{P::kAny}, true, false, fn_println}},
      {"printf", {{P::kString, P::kAny}, true, false, fn_printf}},
      {"html", {{P::kAny}, true, false, fn_html}},
      {"js", {{P::kAny}, true, false, fn_js}},
      {"urlquery", {{P::kAny}, true, false, fn_urlquery}},
      {"json", {{P::kAny}, false, false, fn_json}},
      {"split", {{P::kString, P::kString}, false, false, fn_split}},
      {"join", {{P::kStringSlice, P::kString}, false, false, fn_join}},
      {"title", {{P::kString}, false, false, fn_title}},
      {"lower", {{P::kString}, false, false, fn_lower}},
      {"upper", {{P::kString}, false, false, fn_upper}},
      {"pad", {{P::kString, P::kInt, P::kInt}, false, false, fn_pad}},
      {"truncate", {{P::kString, P::kInt}, false, false, fn_truncate}},
  };
  return kFuncs;
}

const std::map<std::string_view, FuncSpec>& header_functions() {
  static const std::map<std::string_view, FuncSpec> kFuncs = {
      {"json", {{P::kString}, false, false, fn_first}},
      {"split", {{P::kString, P::kString}, false, false, fn_first}},
      {"join", {{P::kString, P::kString}, false, false, fn_first}},
      {"title", {{P::kString}, false, false, fn_first}},
      {"lower", {{P::kString}, false, false, fn_first}},
      {"upper", {{P::kString}, false, false, fn_first}},
      {"truncate", {{P::kString, P::kInt}, false, false, fn_first}},
  };
  return kFuncs;
}

}  // namespace

const FuncSpec* find_function(std::string_view name, bool header) {
  if (header) {
    auto it = header_functions().find(name);
    if (it != header_functions().end()) return &it->second;
  }
  auto it = basic_functions().find(name);
  return it == basic_functions().end() ? nullptr : &it->second;
}

}  // namespace berth::format::internal
