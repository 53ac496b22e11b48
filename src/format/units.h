// Human units as Docker prints and parses them: go-units sizes and durations, Go durations and
// Go's time layouts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::format {

// ---- sizes (docker/go-units) ----

// units.HumanSizeWithPrecision: decimal units B kB MB GB TB PB EB ZB YB, "%.<precision>g".
// Docker's `images`/`ps` use precision 3 (the default): 7412345 -> "7.41MB", 1000 -> "1kB",
// 999 -> "999B", 0 -> "0B"; and like Go, 999999 -> "1e+03kB". `system df` uses 4 (HumanSize).
std::string human_size(double bytes, int precision = 3);
// units.BytesSize: binary units B KiB MiB GiB TiB PiB EiB ZiB YiB, "%.4g".
std::string bytes_size(double bytes);

// units.RAMInBytes: binary multipliers. "2g" -> 2147483648, "512m", "1024", "1.5g", "2 GiB";
// suffixes k m g t p, case-insensitive, optionally followed by "b" or "ib"; "b" alone is bytes.
// Errors (kInvalidArgument): "invalid size: '<input>'".
Result<int64_t> parse_ram_size(std::string_view size);
// units.FromHumanSize: the same syntax with decimal multipliers ("1k" -> 1000).
Result<int64_t> parse_human_size(std::string_view size);

// ---- durations ----

// units.HumanDuration: "Less than a second", "1 second", "N seconds", "About a minute",
// "N minutes", "About an hour", "N hours", "N days", "N weeks", "N months", "N years".
std::string human_duration(int64_t seconds);
// "<human_duration(now - then)> ago", Docker's CreatedSince / RunningFor.
std::string time_ago(int64_t unix_seconds_then, int64_t unix_seconds_now);

// time.ParseDuration: "1h30m", "10s", "1.5h", "300ms", "-2m", "0"; units ns us µs ms s m h.
// Errors as Go's: `time: invalid duration "x"`, `time: missing unit in duration "10"`,
// `time: unknown unit "d" in duration "1d"`.
Result<int64_t> parse_go_duration_ns(std::string_view s);
// The same, truncated to milliseconds as Duration.Milliseconds() does.
Result<int64_t> parse_go_duration_ms(std::string_view s);

// ---- times ----

// A point in time with Go's range: year 1 ("0001-01-01T00:00:00Z", Go's zero time and Docker's
// "never") does not fit in int64 nanoseconds, so seconds and nanoseconds are kept apart.
struct UnixTime {
  int64_t seconds = 0;
  int32_t nanos = 0;  // 0 ... 999'999'999
};

// Seconds since the epoch of Go's zero time, 0001-01-01T00:00:00Z.
inline constexpr int64_t kGoZeroTimeSeconds = -62135596800;

// time.RFC3339Nano in UTC: "2026-11-27T11:42:12.123456789Z", trailing zeros of the fraction
// dropped ("...:12.5Z"), no fraction when it is zero ("2026-11-27T11:42:12Z").
std::string format_rfc3339_nano(UnixTime t);
std::string format_rfc3339_nano(int64_t unix_nanos);
// Parses RFC 3339 with an optional fraction (any number of digits; beyond 9 are dropped) and a
// "Z" or ±hh:mm offset. Errors: `parsing time "<s>" as RFC 3339: <what>`.
Result<UnixTime> parse_rfc3339(std::string_view s);
// The same as unix nanoseconds; times outside 1677..2262 are an error.
Result<int64_t> parse_rfc3339_nano(std::string_view s);

// Go's time.Time.String() for time.Unix(s, 0) in the local zone (TZ, /etc/localtime), as
// Docker's `{{.CreatedAt}}`: "2026-11-27 11:42:12 +0000 UTC", "2026-11-27 12:42:12 +0100 CET".
std::string format_local_created(int64_t unix_seconds);

}  // namespace berth::format
