#include "engine/build_history.h"

#include <cstdio>

#include "base/strings.h"

namespace berth::engine::buildimpl {
namespace {

// The escape Go's strconv uses for a control character, or "" when it has no short one.
const char* short_escape(unsigned char c) {
  switch (c) {
    case '\a': return "\\a";
    case '\b': return "\\b";
    case '\f': return "\\f";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    case '\v': return "\\v";
    default: return "";
  }
}

std::string hex_escape(unsigned c) {
  char b[8];
  std::snprintf(b, sizeof b, "\\x%02x", c & 0xff);
  return b;
}

// A fraction of `unit` nanoseconds, without trailing zeros: "1.5" for 1500 of 1000.
std::string with_fraction(int64_t v, int64_t unit) {
  std::string out = std::to_string(v / unit);
  int64_t frac = v % unit;
  if (frac == 0) return out;
  std::string digits = std::to_string(unit + frac).substr(1);  // zero-padded to the unit's width
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  return out + "." + digits;
}

}  // namespace

std::string go_quote(const std::string& s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      const char* e = short_escape(c);
      o += *e ? std::string(e) : hex_escape(c);
    } else {
      o += static_cast<char>(c);  // printable, or a byte of UTF-8 (kept as it is)
    }
  }
  return o + "\"";
}

std::string quoted_list(const std::vector<std::string>& v) {
  std::string o = "[";
  for (size_t i = 0; i < v.size(); ++i) o += (i ? " " : "") + go_quote(v[i]);
  return o + "]";
}

std::string plain_list(const std::vector<std::string>& v) { return "[" + join(v, " ") + "]"; }

std::string go_duration(int64_t ns) {
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? static_cast<uint64_t>(-(ns + 1)) + 1 : static_cast<uint64_t>(ns);
  int64_t v = static_cast<int64_t>(u);
  if (u < 1000) return sign + std::to_string(u) + "ns";
  if (u < 1000000) return sign + with_fraction(v, 1000) + "µs";
  if (u < 1000000000) return sign + with_fraction(v, 1000000) + "ms";
  int64_t h = v / 3600000000000LL, rest = v % 3600000000000LL;
  int64_t m = rest / 60000000000LL, s = rest % 60000000000LL;
  std::string out = sign;
  if (h) out += std::to_string(h) + "h";
  if (h || m) out += std::to_string(m) + "m";
  return out + with_fraction(s, 1000000000) + "s";
}

std::string healthcheck_created_by(const oci::HealthConfig& hc) {
  // %q of an int is the rune it codes, quoted (Go's strconv.QuoteRune).
  std::string retries;
  int r = hc.retries;
  if (r == '\'' || r == '\\') retries = std::string("'\\") + static_cast<char>(r) + "'";
  else if (r >= 0x20 && r < 0x7f) retries = std::string("'") + static_cast<char>(r) + "'";
  else if (r >= 0 && r < 0x20 && *short_escape(static_cast<unsigned char>(r)))
    retries = std::string("'") + short_escape(static_cast<unsigned char>(r)) + "'";
  else if (r >= 0 && r <= 0xff) retries = "'" + hex_escape(static_cast<unsigned>(r)) + "'";
  else retries = "'\\u" + std::to_string(r) + "'";  // no real retry count gets here
  return "HEALTHCHECK &{" + quoted_list(hc.test) + " " + go_quote(go_duration(hc.interval)) + " " +
         go_quote(go_duration(hc.timeout)) + " " + go_quote(go_duration(hc.start_period)) + " " +
         go_quote(go_duration(hc.start_interval)) + " " + retries + "}";
}

std::string run_created_by(const std::vector<std::pair<std::string, std::string>>& args,
                           const std::vector<std::string>& argv) {
  std::string out = "RUN";
  if (!args.empty()) {
    out += " |" + std::to_string(args.size());
    for (const auto& [k, v] : args) out += " " + k + "=" + v;
  }
  return out + " " + join(argv, " ");
}

}  // namespace berth::engine::buildimpl
