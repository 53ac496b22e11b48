#include "format/units.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

namespace berth::format {
namespace {

TEST(HumanSize, DecimalUnitsWithThreeSignificantDigits) {
  EXPECT_EQ(human_size(0), "0B");
  EXPECT_EQ(human_size(999), "999B");
  EXPECT_EQ(human_size(1000), "1kB");
  EXPECT_EQ(human_size(1024), "1.02kB");
  EXPECT_EQ(human_size(7412345), "7.41MB");
  EXPECT_EQ(human_size(123456789), "123MB");
  EXPECT_EQ(human_size(999999), "1e+03kB");  // Go's %.3g, as docker images shows it
  EXPECT_EQ(human_size(1e15), "1PB");
  EXPECT_EQ(human_size(1.5e18), "1.5EB");
  EXPECT_EQ(human_size(1e30), "1e+06YB");
  EXPECT_EQ(human_size(1234567, 4), "1.235MB");
}

TEST(BytesSize, BinaryUnitsWithFourSignificantDigits) {
  EXPECT_EQ(bytes_size(1000), "1000B");
  EXPECT_EQ(bytes_size(1024), "1KiB");
  EXPECT_EQ(bytes_size(1536), "1.5KiB");
  EXPECT_EQ(bytes_size(5.5 * 1024 * 1024), "5.5MiB");
  EXPECT_EQ(bytes_size(3.0 * 1024 * 1024 * 1024 * 1024), "3TiB");
}

TEST(ParseSize, RamInBytesUsesBinaryMultipliers) {
  EXPECT_EQ(*parse_ram_size("2g"), 2147483648);
  EXPECT_EQ(*parse_ram_size("512m"), 536870912);
  EXPECT_EQ(*parse_ram_size("1024"), 1024);
  EXPECT_EQ(*parse_ram_size("1.5g"), 1610612736);
  EXPECT_EQ(*parse_ram_size("2GB"), 2147483648);
  EXPECT_EQ(*parse_ram_size("2GiB"), 2147483648);
  EXPECT_EQ(*parse_ram_size("2 g"), 2147483648);
  EXPECT_EQ(*parse_ram_size("64K"), 65536);
  EXPECT_EQ(*parse_ram_size("10b"), 10);
  EXPECT_EQ(*parse_ram_size("1t"), 1099511627776);
}

TEST(ParseSize, FromHumanSizeUsesDecimalMultipliers) {
  EXPECT_EQ(*parse_human_size("1k"), 1000);
  EXPECT_EQ(*parse_human_size("1.5MB"), 1500000);
  EXPECT_EQ(*parse_human_size("10"), 10);
}

TEST(ParseSize, RejectsMalformedSizes) {
  for (const char* bad :
       {"2x", "", "g", "-1", "2kk", "2gibx", "1.2.3g", "abc", "2bb", "99999999999999999999g"}) {
    auto r = parse_ram_size(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.error().message(), std::string("invalid size: '") + bad + "'");
  }
}

TEST(HumanDuration, FollowsGoUnitsThresholds) {
  EXPECT_EQ(human_duration(-5), "Less than a second");
  EXPECT_EQ(human_duration(0), "Less than a second");
  EXPECT_EQ(human_duration(1), "1 second");
  EXPECT_EQ(human_duration(59), "59 seconds");
  EXPECT_EQ(human_duration(60), "About a minute");
  EXPECT_EQ(human_duration(119), "About a minute");
  EXPECT_EQ(human_duration(120), "2 minutes");
  EXPECT_EQ(human_duration(3599), "59 minutes");
  EXPECT_EQ(human_duration(3600), "About an hour");
  EXPECT_EQ(human_duration(5399), "About an hour");  // hours round to nearest
  EXPECT_EQ(human_duration(5400), "2 hours");
  EXPECT_EQ(human_duration(47 * 3600), "47 hours");
  EXPECT_EQ(human_duration(48 * 3600), "2 days");
  EXPECT_EQ(human_duration(13 * 86400), "13 days");
  EXPECT_EQ(human_duration(14 * 86400), "2 weeks");
  EXPECT_EQ(human_duration(59 * 86400), "8 weeks");
  EXPECT_EQ(human_duration(60 * 86400), "2 months");
  EXPECT_EQ(human_duration(729 * 86400), "24 months");
  EXPECT_EQ(human_duration(730 * 86400), "2 years");
  EXPECT_EQ(time_ago(100, 220), "2 minutes ago");
}

TEST(GoDuration, ParsesLikeTimeParseDuration) {
  EXPECT_EQ(*parse_go_duration_ms("1h30m"), 5400000);
  EXPECT_EQ(*parse_go_duration_ms("10s"), 10000);
  EXPECT_EQ(*parse_go_duration_ms("1.5h"), 5400000);
  EXPECT_EQ(*parse_go_duration_ms("300ms"), 300);
  EXPECT_EQ(*parse_go_duration_ms("-2m"), -120000);
  EXPECT_EQ(*parse_go_duration_ms("+5s"), 5000);
  EXPECT_EQ(*parse_go_duration_ms("0"), 0);
  EXPECT_EQ(*parse_go_duration_ms("1h1h"), 7200000);
  EXPECT_EQ(*parse_go_duration_ns("1us"), 1000);
  EXPECT_EQ(*parse_go_duration_ns("1\u00B5s"), 1000);
  EXPECT_EQ(*parse_go_duration_ns("0.000000001s"), 1);
  EXPECT_EQ(*parse_go_duration_ns("1.0000000001s"), 1000000000);
  EXPECT_EQ(*parse_go_duration_ns("9223372036854775807ns"), INT64_MAX);
  EXPECT_EQ(*parse_go_duration_ns("2562047h"), 9223369200000000000);
}

TEST(GoDuration, ErrorsMatchGo) {
  auto message = [](const char* s) { return parse_go_duration_ns(s).error().message(); };
  EXPECT_EQ(message(""), "time: invalid duration \"\"");
  EXPECT_EQ(message("x"), "time: invalid duration \"x\"");
  EXPECT_EQ(message(".s"), "time: invalid duration \".s\"");
  EXPECT_EQ(message("10"), "time: missing unit in duration \"10\"");
  EXPECT_EQ(message("1.5"), "time: missing unit in duration \"1.5\"");
  EXPECT_EQ(message("1d"), "time: unknown unit \"d\" in duration \"1d\"");
  EXPECT_EQ(message("9223372036854775808ns"), "time: invalid duration \"9223372036854775808ns\"");
  EXPECT_EQ(parse_go_duration_ms("1d").error().code(), Code::kInvalidArgument);
}

constexpr int64_t kSample = 1795779732;  // 2026-11-27T11:42:12Z

TEST(Rfc3339, FormatsUtcWithTrimmedFraction) {
  EXPECT_EQ(format_rfc3339_nano(UnixTime{kSample, 123456789}), "2026-11-27T11:42:12.123456789Z");
  EXPECT_EQ(format_rfc3339_nano(UnixTime{kSample, 500000000}), "2026-11-27T11:42:12.5Z");
  EXPECT_EQ(format_rfc3339_nano(UnixTime{kSample, 0}), "2026-11-27T11:42:12Z");
  EXPECT_EQ(format_rfc3339_nano(kSample * 1000000000 + 123456789),
            "2026-11-27T11:42:12.123456789Z");
  EXPECT_EQ(format_rfc3339_nano(int64_t{-1000000000}), "1969-12-31T23:59:59Z");
  EXPECT_EQ(format_rfc3339_nano(UnixTime{kGoZeroTimeSeconds, 0}), "0001-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339_nano(UnixTime{951868799, 0}), "2000-02-29T23:59:59Z");
  EXPECT_EQ(format_rfc3339_nano(UnixTime{-2208988800, 0}), "1900-01-01T00:00:00Z");
}

TEST(Rfc3339, ParsesOffsetsAndFractions) {
  EXPECT_EQ(*parse_rfc3339_nano("2026-11-27T13:42:12.5+02:00"), 1795779732500000000);
  EXPECT_EQ(*parse_rfc3339_nano("2026-11-27T11:42:12Z"), kSample * 1000000000);
  EXPECT_EQ(*parse_rfc3339_nano("2026-11-27T11:42:12.123456789Z"),
            kSample * 1000000000 + 123456789);
  EXPECT_EQ(*parse_rfc3339_nano("2026-11-27T11:42:12.1234567891Z"),
            kSample * 1000000000 + 123456789);
  EXPECT_EQ(*parse_rfc3339_nano("2026-11-27T06:12:12-05:30"), kSample * 1000000000);
  auto zero = parse_rfc3339("0001-01-01T00:00:00Z");
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->seconds, kGoZeroTimeSeconds);
  EXPECT_EQ(zero->nanos, 0);
}

TEST(Rfc3339, RejectsBadTimes) {
  auto message = [](const char* s) { return parse_rfc3339_nano(s).error().message(); };
  EXPECT_EQ(message("2026-02-30T13:42:12Z"),
            "parsing time \"2026-02-30T13:42:12Z\" as RFC 3339: day out of range");
  EXPECT_EQ(message("2026-11-27 11:42:12Z"),
            "parsing time \"2026-11-27 11:42:12Z\" as RFC 3339: bad format");
  EXPECT_EQ(message("2026-11-27T11:42:12"),
            "parsing time \"2026-11-27T11:42:12\" as RFC 3339: missing time zone");
  EXPECT_EQ(message("2026-13-01T00:00:00Z"),
            "parsing time \"2026-13-01T00:00:00Z\" as RFC 3339: month out of range");
  EXPECT_EQ(message("2026-11-27T11:42:12Zjunk"),
            "parsing time \"2026-11-27T11:42:12Zjunk\" as RFC 3339: extra text");
  EXPECT_EQ(message("0001-01-01T00:00:00Z"),
            "parsing time \"0001-01-01T00:00:00Z\": out of the range of unix nanoseconds");
}

// Sets TZ for one test and restores it after.
class ScopedTz {
 public:
  explicit ScopedTz(const char* tz) {
    const char* old = std::getenv("TZ");
    had_ = old != nullptr;
    if (had_) old_ = old;
    setenv("TZ", tz, 1);
    tzset();
  }
  ~ScopedTz() {
    if (had_) {
      setenv("TZ", old_.c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }

 private:
  bool had_ = false;
  std::string old_;
};

TEST(LocalCreated, PrintsGoTimeStringInTheLocalZone) {
  {
    ScopedTz tz("UTC");
    EXPECT_EQ(format_local_created(kSample), "2026-11-27 11:42:12 +0000 UTC");
  }
  {
    ScopedTz tz("CET-1");
    EXPECT_EQ(format_local_created(kSample), "2026-11-27 12:42:12 +0100 CET");
  }
  {
    ScopedTz tz("EST5");
    EXPECT_EQ(format_local_created(kSample), "2026-11-27 06:42:12 -0500 EST");
  }
}

}  // namespace
}  // namespace berth::format
