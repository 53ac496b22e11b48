#include "format/internal/value.h"

#include <cmath>

#include "format/internal/float_format.h"
#include "format/internal/text.h"

namespace berth::format::internal {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (size_t i = 0, size = 0; i < s.size(); i += size) {
    char32_t r = decode_rune(s, i, size);
    if (r == kRuneError && size == 1) {
      out += "\\ufffd";  // Go replaces invalid UTF-8
      continue;
    }
    switch (r) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      default:
        break;
    }
    // U+2028 and U+2029 are escaped even without HTML escaping, for JSONP safety as Go does.
    if (r < 0x20 || r == 0x2028 || r == 0x2029) {
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(r >> shift) & 0xF];
      continue;
    }
    out.append(s.substr(i, size));
  }
  out += '"';
}

// encoding/json's float encoding: shortest digits, exponent only outside [1e-6, 1e21).
std::string json_float(double f) {
  double abs = std::fabs(f);
  bool exp = abs != 0 && (abs < 1e-6 || abs >= 1e21);
  std::string s = format_float(f, exp ? 'e' : 'f', -1);
  size_t n = s.size();
  if (exp && n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') s.erase(n - 2, 1);
  return s;
}

void append_json(std::string& out, const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      out += "null";
      return;
    case json::value_t::boolean:
      out += j.get<bool>() ? "true" : "false";
      return;
    case json::value_t::number_integer:
      out += std::to_string(j.get<int64_t>());
      return;
    case json::value_t::number_unsigned:
      out += std::to_string(j.get<uint64_t>());
      return;
    case json::value_t::number_float:
      out += json_float(j.get<double>());
      return;
    case json::value_t::string:
      append_json_string(out, j.get_ref<const std::string&>());
      return;
    case json::value_t::array: {
      out += '[';
      for (size_t i = 0; i < j.size(); ++i) {
        if (i) out += ',';
        append_json(out, j[i]);
      }
      out += ']';
      return;
    }
    case json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [k, v] : j.items()) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, k);
        out += ':';
        append_json(out, v);
      }
      out += '}';
      return;
    }
    default:
      out += "null";
      return;
  }
}

}  // namespace

std::string type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return "<nil>";
    case json::value_t::boolean:
      return "bool";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "int";
    case json::value_t::number_float:
      return "float64";
    case json::value_t::string:
      return "string";
    case json::value_t::array:
      return "[]interface {}";
    case json::value_t::object:
      return "map[string]interface {}";
    default:
      return "interface {}";
  }
}

bool truth(const Value& v) {
  if (!v.valid()) return false;
  const json& j = v.get();
  switch (j.type()) {
    case json::value_t::boolean:
      return j.get<bool>();
    case json::value_t::number_integer:
      return j.get<int64_t>() != 0;
    case json::value_t::number_unsigned:
      return j.get<uint64_t>() != 0;
    case json::value_t::number_float:
      return j.get<double>() != 0;
    case json::value_t::string:
      return !j.get_ref<const std::string&>().empty();
    case json::value_t::array:
    case json::value_t::object:
      return !j.empty();
    default:
      return false;
  }
}

std::optional<int64_t> as_int(const json& j) {
  if (j.is_number_integer() && !j.is_number_unsigned()) return j.get<int64_t>();
  if (j.is_number_unsigned()) {
    auto u = j.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (j.is_number_float()) {
    double d = j.get<double>();
    if (std::trunc(d) == d && std::fabs(d) < 9.2e18) return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

std::string to_go_json(const json& j) {
  std::string out;
  append_json(out, j);
  return out;
}

}  // namespace berth::format::internal
