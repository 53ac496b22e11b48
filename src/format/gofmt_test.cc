// Go fmt and strconv behaviour of the internal printer; expected strings are Go's output.
#include "format/internal/gofmt.h"

#include <gtest/gtest.h>

#include "format/internal/float_format.h"
#include "format/internal/text.h"

namespace berth::format::internal {
namespace {

std::string sprintf_of(std::string_view format, const std::vector<json>& values) {
  Args args;
  for (const auto& v : values) args.push_back(&v);
  return go_sprintf(format, args);
}

TEST(FormatFloat, ShortestRepresentations) {
  EXPECT_EQ(format_float(0.1, 'g', -1), "0.1");
  EXPECT_EQ(format_float(100000, 'g', -1), "100000");
  EXPECT_EQ(format_float(1000000, 'g', -1), "1e+06");
  EXPECT_EQ(format_float(1234567.5, 'g', -1), "1.2345675e+06");
  EXPECT_EQ(format_float(0.0001, 'g', -1), "0.0001");
  EXPECT_EQ(format_float(0.00001, 'g', -1), "1e-05");
  EXPECT_EQ(format_float(-2.5, 'g', -1), "-2.5");
  EXPECT_EQ(format_float(0, 'g', -1), "0");
  EXPECT_EQ(format_float(1e21, 'e', -1), "1e+21");
  EXPECT_EQ(format_float(123.456, 'e', -1), "1.23456e+02");
  EXPECT_EQ(format_float(1e20, 'f', -1), "100000000000000000000");
  EXPECT_EQ(format_float(0.000123, 'f', -1), "0.000123");
  EXPECT_EQ(format_float(1e-10, 'G', -1), "1E-10");
  EXPECT_EQ(format_float(1e300 * 1e10, 'g', -1), "+Inf");
}

TEST(FormatFloat, ExplicitPrecision) {
  EXPECT_EQ(format_float(3.14159, 'f', 2), "3.14");
  EXPECT_EQ(format_float(2.25, 'f', 1), "2.2");  // ties to even on the exact binary value
  EXPECT_EQ(format_float(1234.5678, 'e', 3), "1.235e+03");
  EXPECT_EQ(format_float(999.999, 'g', 3), "1e+03");
  EXPECT_EQ(format_float(1.0, 'g', 3), "1");
}

TEST(Sprint, ValuesPrintLikeGosPercentV) {
  EXPECT_EQ(sprint_value(json::parse(R"({"b":[1,"x",null],"a":{"c":true}})")),
            "map[a:map[c:true] b:[1 x <nil>]]");
  EXPECT_EQ(sprint_value(json(nullptr)), "<nil>");
  EXPECT_EQ(sprint_value(json(3.0)), "3");
  EXPECT_EQ(sprint_value(json(1.5e22)), "1.5e+22");
  EXPECT_EQ(sprint_value(json(18446744073709551615ull)), "18446744073709551615");
  EXPECT_EQ(sprint_value(json(-9223372036854775807ll - 1)), "-9223372036854775808");
}

TEST(Sprintf, PaddingAndSigns) {
  EXPECT_EQ(sprintf_of("[%-8s][%8s][%08.3f][%+d][% d][%x][%#o][%#b]",
                       {"ab", "é", -3.14159, 3, 4, -255, 8, 5}),
            "[ab      ][       é][-003.142][+3][ 4][-ff][010][0b101]");
  EXPECT_EQ(sprintf_of("[%.0d][%5.0d][%.3d][%6.2f%%]", {0, 0, 7, 12.345}),
            "[][     ][007][ 12.35%]");
  EXPECT_EQ(sprintf_of("[%05s][%-05d][%.2s][%.1q]", {"ab", 7, "héllo", "xyz"}),
            "[000ab][7    ][hé][\"x\"]");
}

TEST(Sprintf, ArgumentIndexesAndStars) {
  EXPECT_EQ(sprintf_of("%[2]d %[1]d", {1, 2}), "2 1");
  EXPECT_EQ(sprintf_of("%[3]d", {1, 2}), "%!d(BADINDEX)");
  EXPECT_EQ(sprintf_of("%*d|%-*d", {-4, 1, 3, 2}), "1   |2  ");
  EXPECT_EQ(sprintf_of("%*d", {"x", 1}), "%!(BADWIDTH)1");
}

TEST(Sprintf, GoSyntaxAndTypes) {
  EXPECT_EQ(sprintf_of("%#v", {json::parse(R"({"a":[1,"x",null]})")}),
            "map[string]interface {}{\"a\":[]interface {}{1, \"x\", interface {}(nil)}}");
  EXPECT_EQ(sprintf_of("%T %T %T %T", {1, 1.5, json::array(), nullptr}),
            "int float64 []interface {} <nil>");
  EXPECT_EQ(sprintf_of("%c%c %U %q", {72, 105, 0x1F600, 0x1F600}), "Hi U+1F600 '😀'");
}

TEST(Quote, EscapesLikeStrconv) {
  EXPECT_EQ(go_quote("a\"b\\c\n\t\x01\x7f é\xff"), "\"a\\\"b\\\\c\\n\\t\\x01\\x7f é\\xff\"");
  EXPECT_EQ(go_quote("é\u2028", true), "\"\\u00e9\\u2028\"");
  EXPECT_EQ(go_quote_rune('\''), "'\\''");
}

TEST(DisplayWidth, WideAndZeroWidthRunes) {
  EXPECT_EQ(display_width("abc"), 3u);
  EXPECT_EQ(display_width("名前"), 4u);
  EXPECT_EQ(display_width("e\u0301"), 1u);
  EXPECT_EQ(rune_count("名前é"), 3u);
}

}  // namespace
}  // namespace berth::format::internal
