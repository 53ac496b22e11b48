// Go's RFC 3339 and Time.String() layouts on the proleptic Gregorian calendar.
#include <cstdio>
#include <ctime>

#include "format/units.h"

namespace berth::format {
namespace {

constexpr int64_t kSecondsPerDay = 86400;
constexpr int64_t kNanosPerSecond = 1000000000;

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int64_t y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 of a civil date; eras of 400 years make the arithmetic exact.
int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = floor_div(y, 400);
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Civil {
  int64_t year;
  int month, day;
};

Civil civil_from_days(int64_t z) {
  z += 719468;
  int64_t era = floor_div(z, 146097);
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2), month, day};
}

// Parses exactly `n` digits at s[pos].
bool digits(std::string_view s, size_t& pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  pos += n;
  return true;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

std::string format_rfc3339_nano(UnixTime t) {
  int64_t seconds = t.seconds + floor_div(t.nanos, kNanosPerSecond);
  int64_t nanos = t.nanos - floor_div(t.nanos, kNanosPerSecond) * kNanosPerSecond;
  int64_t days = floor_div(seconds, kSecondsPerDay);
  int64_t sod = seconds - days * kSecondsPerDay;
  Civil c = civil_from_days(days);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02lld:%02lld:%02lld",
                static_cast<long long>(c.year), c.month, c.day, static_cast<long long>(sod / 3600),
                static_cast<long long>(sod / 60 % 60), static_cast<long long>(sod % 60));
  std::string out = buf;
  if (nanos > 0) {
    std::snprintf(buf, sizeof buf, ".%09lld", static_cast<long long>(nanos));
    std::string frac = buf;
    while (frac.back() == '0') frac.pop_back();
    out += frac;
  }
  return out + "Z";
}

std::string format_rfc3339_nano(int64_t unix_nanos) {
  int64_t seconds = floor_div(unix_nanos, kNanosPerSecond);
  return format_rfc3339_nano(
      UnixTime{seconds, static_cast<int32_t>(unix_nanos - seconds * kNanosPerSecond)});
}

Result<UnixTime> parse_rfc3339(std::string_view s) {
  auto bad = [&](const char* what) {
    return invalid_argument("parsing time \"" + std::string(s) + "\" as RFC 3339: " + what);
  };
  size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!digits(s, pos, 4, year) || !expect(s, pos, '-') || !digits(s, pos, 2, month) ||
      !expect(s, pos, '-') || !digits(s, pos, 2, day) || !expect(s, pos, 'T') ||
      !digits(s, pos, 2, hour) || !expect(s, pos, ':') || !digits(s, pos, 2, minute) ||
      !expect(s, pos, ':') || !digits(s, pos, 2, second))
    return bad("bad format");
  if (month < 1 || month > 12) return bad("month out of range");
  if (day < 1 || day > days_in_month(year, month)) return bad("day out of range");
  if (hour > 23) return bad("hour out of range");
  if (minute > 59) return bad("minute out of range");
  if (second > 59) return bad("second out of range");
  int64_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    size_t start = ++pos;
    for (; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos)
      if (pos - start < 9) nanos = nanos * 10 + (s[pos] - '0');
    if (pos == start) return bad("bad format");
    for (size_t n = pos - start; n < 9; ++n) nanos *= 10;
  }
  int64_t offset = 0;
  if (pos < s.size() && s[pos] == 'Z') {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos++] == '-' ? -1 : 1;
    int oh, om;
    if (!digits(s, pos, 2, oh) || !expect(s, pos, ':') || !digits(s, pos, 2, om))
      return bad("bad format");
    if (oh > 23 || om > 59) return bad("time zone offset out of range");
    offset = sign * (oh * 3600 + om * 60);
  } else {
    return bad("missing time zone");
  }
  if (pos != s.size()) return bad("extra text");
  int64_t seconds = days_from_civil(year, month, day) * kSecondsPerDay + hour * 3600 + minute * 60 +
                    second - offset;
  return UnixTime{seconds, static_cast<int32_t>(nanos)};
}

Result<int64_t> parse_rfc3339_nano(std::string_view s) {
  BERTH_ASSIGN_OR_RETURN(UnixTime t, parse_rfc3339(s));
  int64_t nanos = 0;
  if (__builtin_mul_overflow(t.seconds, kNanosPerSecond, &nanos) ||
      __builtin_add_overflow(nanos, t.nanos, &nanos))
    return invalid_argument("parsing time \"" + std::string(s) +
                            "\": out of the range of unix nanoseconds");
  return nanos;
}

std::string format_local_created(int64_t unix_seconds) {
  tzset();  // localtime_r is not required to notice a changed TZ on its own
  auto t = static_cast<time_t>(unix_seconds);
  struct tm tm {};
  localtime_r(&t, &tm);
  long off = tm.tm_gmtoff;
  char sign = off < 0 ? '-' : '+';
  if (off < 0) off = -off;
  char offset[32];
  std::snprintf(offset, sizeof offset, "%c%02ld%02ld", sign, off / 3600, off / 60 % 60);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d %s ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, offset);
  // Go prints the zone abbreviation, or the numeric offset again when there is none.
  std::string zone = tm.tm_zone && *tm.tm_zone ? tm.tm_zone : offset;
  return buf + zone;
}

}  // namespace berth::format
