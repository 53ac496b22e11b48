// Sizes and durations, behaving as docker/go-units and Go's time.ParseDuration.
#include "format/units.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace berth::format {
namespace {

std::string size_with_units(double size, double base, const char* const* units, int precision) {
  int i = 0;
  while (size >= base && i < 8) {
    size /= base;
    ++i;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g%s", precision, size, units[i]);
  return buf;
}

// go-units parseSize: a number, an optional space, then an optional suffix:
// b, or one of k m g t p optionally followed by "b" or "ib".
Result<int64_t> parse_size(std::string_view input, bool binary) {
  auto invalid = [&] { return invalid_argument("invalid size: '" + std::string(input) + "'"); };
  size_t sep = input.find_last_of("0123456789. ");
  if (sep == std::string_view::npos) return invalid();
  std::string_view num = input.substr(0, input[sep] == ' ' ? sep : sep + 1);
  std::string suffix(input.substr(sep + 1));
  if (num.empty() || num.find_first_not_of("0123456789.eE+-") != std::string_view::npos)
    return invalid();
  std::string num_str(num);
  char* end = nullptr;
  double size = std::strtod(num_str.c_str(), &end);
  if (*end != '\0' || size < 0 || !std::isfinite(size)) return invalid();
  for (auto& c : suffix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!suffix.empty()) {
    if (suffix.size() > 3) return invalid();
    if (suffix[0] == 'b') {
      if (suffix.size() > 1) return invalid();
    } else {
      std::string_view letters = "kmgtp";
      size_t power = letters.find(suffix[0]);
      if (power == std::string_view::npos) return invalid();
      if ((suffix.size() == 2 && suffix[1] != 'b') ||
          (suffix.size() == 3 && suffix.substr(1) != "ib"))
        return invalid();
      size *= std::pow(binary ? 1024.0 : 1000.0, static_cast<double>(power + 1));
    }
  }
  if (size >= 9.223372036854775807e18) return invalid();
  return static_cast<int64_t>(size);
}

// time's quote(): ASCII as is, other bytes as \xNN.
std::string go_time_quote(std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "\"";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80 || c < ' ') {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

constexpr uint64_t kMaxDuration = uint64_t{1} << 63;

uint64_t unit_nanos(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\u00B5s" || unit == "\u03BCs") return 1000;
  if (unit == "ms") return 1000000;
  if (unit == "s") return 1000000000;
  if (unit == "m") return 60ull * 1000000000;
  if (unit == "h") return 3600ull * 1000000000;
  return 0;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string human_size(double bytes, int precision) {
  static const char* const kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  return size_with_units(bytes, 1000.0, kUnits, precision);
}

std::string bytes_size(double bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
  return size_with_units(bytes, 1024.0, kUnits, 4);
}

Result<int64_t> parse_ram_size(std::string_view size) { return parse_size(size, true); }
Result<int64_t> parse_human_size(std::string_view size) { return parse_size(size, false); }

std::string human_duration(int64_t seconds) {
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return std::to_string(seconds) + " seconds";
  int64_t minutes = seconds / 60;
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return std::to_string(minutes) + " minutes";
  double exact_hours = static_cast<double>(seconds) / 3600.0;
  auto hours = static_cast<int64_t>(exact_hours + 0.5);  // go-units rounds hours to nearest
  if (hours == 1) return "About an hour";
  if (hours < 48) return std::to_string(hours) + " hours";
  if (hours < 24 * 7 * 2) return std::to_string(hours / 24) + " days";
  if (hours < 24 * 30 * 2) return std::to_string(hours / 24 / 7) + " weeks";
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24 / 30) + " months";
  return std::to_string(static_cast<int64_t>(exact_hours) / 24 / 365) + " years";
}

std::string time_ago(int64_t unix_seconds_then, int64_t unix_seconds_now) {
  return human_duration(unix_seconds_now - unix_seconds_then) + " ago";
}

Result<int64_t> parse_go_duration_ns(std::string_view orig) {
  auto invalid = [&] { return invalid_argument("time: invalid duration " + go_time_quote(orig)); };
  std::string_view s = orig;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) return invalid();
  uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || is_digit(s[0]))) return invalid();
    uint64_t whole = 0;
    size_t i = 0;
    for (; i < s.size() && is_digit(s[i]); ++i) {
      if (whole > kMaxDuration / 10) return invalid();
      whole = whole * 10 + static_cast<uint64_t>(s[i] - '0');
      if (whole > kMaxDuration) return invalid();
    }
    bool pre = i > 0;
    s.remove_prefix(i);
    uint64_t frac = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      bool overflow = false;
      for (i = 0; i < s.size() && is_digit(s[i]); ++i) {
        // Digits past int64 precision are dropped, as Go does.
        if (overflow || frac > (kMaxDuration - 1) / 10) {
          overflow = true;
          continue;
        }
        frac = frac * 10 + static_cast<uint64_t>(s[i] - '0');
        scale *= 10;
      }
      post = i > 0;
      s.remove_prefix(i);
    }
    if (!pre && !post) return invalid();
    for (i = 0; i < s.size() && s[i] != '.' && !is_digit(s[i]); ++i) {
    }
    if (i == 0) return invalid_argument("time: missing unit in duration " + go_time_quote(orig));
    std::string_view unit_name = s.substr(0, i);
    s.remove_prefix(i);
    uint64_t unit = unit_nanos(unit_name);
    if (unit == 0)
      return invalid_argument("time: unknown unit " + go_time_quote(unit_name) + " in duration " +
                              go_time_quote(orig));
    if (whole > kMaxDuration / unit) return invalid();
    whole *= unit;
    if (frac > 0) {
      whole +=
          static_cast<uint64_t>(static_cast<double>(frac) * (static_cast<double>(unit) / scale));
      if (whole > kMaxDuration) return invalid();
    }
    total += whole;
    if (total > kMaxDuration) return invalid();
  }
  if (neg) return static_cast<int64_t>(0 - total);
  if (total > kMaxDuration - 1) return invalid();
  return static_cast<int64_t>(total);
}

Result<int64_t> parse_go_duration_ms(std::string_view s) {
  BERTH_ASSIGN_OR_RETURN(int64_t ns, parse_go_duration_ns(s));
  return ns / 1000000;
}

}  // namespace berth::format
