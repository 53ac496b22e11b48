// strconv.FormatFloat: Go's float layouts, shortest and with a precision.
#include "format/internal/float_format.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace berth::format::internal {
namespace {

// Decimal digits d[0..] of a float with the point after dp digits: value = 0.d * 10^dp.
struct Decimal {
  std::string d;
  int dp = 0;
  bool neg = false;
};

Decimal shortest_decimal(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view s(buf, static_cast<size_t>(res.ptr - buf));
  Decimal out;
  if (s.front() == '-') {
    out.neg = true;
    s.remove_prefix(1);
  }
  size_t e = s.find('e');
  for (char c : s.substr(0, e))
    if (c != '.') out.d += c;
  int exp = 0;
  std::string_view es = s.substr(e + 1);
  if (es.front() == '+') es.remove_prefix(1);
  std::from_chars(es.data(), es.data() + es.size(), exp);
  out.dp = exp + 1;
  return out;
}

// strconv's %e layout: d.ddde±XX with at least two exponent digits.
std::string fmt_e(const Decimal& dec, int prec, char verb) {
  std::string out = dec.neg ? "-" : "";
  out += dec.d.empty() ? '0' : dec.d[0];
  if (prec > 0) {
    out += '.';
    for (int i = 1; i <= prec; ++i) out += i < static_cast<int>(dec.d.size()) ? dec.d[i] : '0';
  }
  out += verb;
  int exp = dec.d == "0" ? 0 : dec.dp - 1;
  out += exp < 0 ? '-' : '+';
  std::string digits = std::to_string(std::abs(exp));
  if (digits.size() < 2) digits = "0" + digits;
  return out + digits;
}

std::string fmt_f(const Decimal& dec, int prec) {
  std::string out = dec.neg ? "-" : "";
  int nd = static_cast<int>(dec.d.size());
  if (dec.dp > 0) {
    for (int i = 0; i < dec.dp; ++i) out += i < nd ? dec.d[i] : '0';
  } else {
    out += '0';
  }
  if (prec > 0) {
    out += '.';
    for (int i = 1; i <= prec; ++i) {
      int j = dec.dp + i - 1;
      out += (j >= 0 && j < nd) ? dec.d[j] : '0';
    }
  }
  return out;
}

// strconv's 'b' format: decimal mantissa and binary exponent, "5629499534213120p-51".
std::string format_binary_exponent(double v) {
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  int exp = static_cast<int>((bits >> 52) & 0x7FF);
  uint64_t mant = bits & ((uint64_t{1} << 52) - 1);
  if (exp == 0) {
    ++exp;
  } else {
    mant |= uint64_t{1} << 52;
  }
  exp -= 1075;
  std::string out = (bits >> 63) ? "-" : "";
  return out + std::to_string(mant) + "p" + (exp >= 0 ? "+" : "") + std::to_string(exp);
}

// strconv's 'x' format from C's %a: Go writes at least two exponent digits.
std::string format_hex_float(double v, char verb, int prec) {
  char buf[64];
  const char* spec = verb == 'X' ? (prec < 0 ? "%A" : "%.*A") : (prec < 0 ? "%a" : "%.*a");
  if (prec < 0) {
    std::snprintf(buf, sizeof buf, spec, v);
  } else {
    std::snprintf(buf, sizeof buf, spec, prec, v);
  }
  std::string s = buf;
  size_t p = s.find_first_of("pP");
  if (p == std::string::npos) return s;
  size_t lead = s.find_first_of("xX") + 1;
  if (s[lead] == '2') {  // C leaves a mantissa rounded up to 2; Go renormalizes to 1 and exp+1
    s[lead] = '1';
    int exp = std::atoi(s.c_str() + p + 1) + 1;
    s = s.substr(0, p + 1) + (exp < 0 ? "-" : "+") + std::to_string(std::abs(exp));
  }
  if (s.size() - (p + 2) < 2) s.insert(p + 2, "0");
  return s;
}

}  // namespace

std::string format_float(double v, char verb, int prec) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (verb == 'b') return format_binary_exponent(v);
  if (verb == 'x' || verb == 'X') return format_hex_float(v, verb, prec);
  if (prec >= 0) {
    char spec[8] = {'%', '.', '*', verb, '\0'};
    char buf[512];
    int n = std::snprintf(buf, sizeof buf, spec, prec, v);
    if (n >= 0 && static_cast<size_t>(n) < sizeof buf)
      return std::string(buf, static_cast<size_t>(n));
    std::string big(static_cast<size_t>(n) + 1, '\0');
    std::snprintf(big.data(), big.size(), spec, prec, v);
    big.pop_back();
    return big;
  }
  Decimal dec = shortest_decimal(v);
  int nd = static_cast<int>(dec.d.size());
  switch (verb) {
    case 'e':
    case 'E':
      return fmt_e(dec, nd - 1, verb);
    case 'f':
      return fmt_f(dec, std::max(nd - dec.dp, 0));
    default:
      break;
  }
  // Shortest %g: strconv decides on an exponent as if the precision were 6.
  int exp = dec.dp - 1;
  if (exp < -4 || exp >= 6) return fmt_e(dec, nd - 1, verb == 'G' ? 'E' : 'e');
  return fmt_f(dec, std::max(nd - dec.dp, 0));
}

}  // namespace berth::format::internal
