// The Template API; the language itself is covered by the golden cases in testdata/templates.
#include "format/template.h"

#include <gtest/gtest.h>

namespace berth::format {
namespace {

using nlohmann::json;

TEST(Template, ParsesOnceAndExecutesManyTimes) {
  auto tmpl = Template::parse("{{.Repository}}:{{.Tag}}");
  ASSERT_TRUE(tmpl.ok()) << tmpl.error().message();
  EXPECT_EQ(*tmpl->execute({{"Repository", "alpine"}, {"Tag", "3.19"}}), "alpine:3.19");
  EXPECT_EQ(*tmpl->execute({{"Repository", "busybox"}, {"Tag", "latest"}}), "busybox:latest");
  Template copy = *tmpl;
  EXPECT_EQ(*copy.execute({{"Repository", "x"}}), "x:<no value>");
}

TEST(Template, ParseErrorIsInvalidArgument) {
  auto tmpl = Template::parse("{{.Foo }x}}");
  ASSERT_FALSE(tmpl.ok());
  EXPECT_EQ(tmpl.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(tmpl.error().message(), "template: :1: unexpected \"}\" in operand");
}

TEST(Template, ExecuteIntoKeepsOutputWrittenBeforeAnError) {
  auto tmpl = Template::parse("a={{.A}} b={{.B.C}} never");
  ASSERT_TRUE(tmpl.ok());
  std::string out = "prefix ";
  Status st = tmpl->execute_into({{"A", 1}, {"B", "str"}}, out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(st.error().message(),
            "template: :1:15: executing \"\" at <.B.C>: can't evaluate field C in type string");
  EXPECT_EQ(out, "prefix a=1 b=");
}

TEST(Template, HeaderFunctionsReturnTheirFirstArgument) {
  auto tmpl = Template::parse(
      "{{upper .A}}|{{json .A}}|{{split .A \",\"}}|{{truncate .A 2}}|{{pad .A 1 0}}");
  ASSERT_TRUE(tmpl.ok()) << tmpl.error().message();
  json header = {{"A", "NAME, ID"}};
  std::string out;
  ASSERT_TRUE(tmpl->execute_into(header, out, ExecOptions{.header_functions = true}).ok());
  EXPECT_EQ(out, "NAME, ID|NAME, ID|NAME, ID|NAME, ID| NAME, ID");
  EXPECT_EQ(*tmpl->execute(header), "NAME, ID|\"NAME, ID\"|[NAME  ID]|NA| NAME, ID");
}

TEST(Template, FunctionResultsOutliveTheirExpression) {
  // Fields of values made by functions (here slice and index) are read after the call returned.
  auto tmpl =
      Template::parse("{{range slice .L 1}}{{.Name}} {{end}}{{$x := index .L 0}}{{$x.Name}}");
  ASSERT_TRUE(tmpl.ok()) << tmpl.error().message();
  json data = {{"L", {{{"Name", "a"}}, {{"Name", "b"}}, {{"Name", "c"}}}}};
  EXPECT_EQ(*tmpl->execute(data), "b c a");
}

TEST(Template, DataIsNotCopiedOrChanged) {
  json data = {{"L", json::array({1, 2, 3})}};
  json before = data;
  auto tmpl = Template::parse("{{range $i, $v := .L}}{{$v}}{{end}}{{$ := 1}}{{$}}");
  ASSERT_TRUE(tmpl.ok());
  EXPECT_EQ(*tmpl->execute(data), "1231");
  EXPECT_EQ(data, before);
}

TEST(Template, LargeRangeIsLinear) {
  json rows = json::array();
  for (int i = 0; i < 20000; ++i) rows.push_back({{"ID", i}});
  auto tmpl = Template::parse("{{range .}}{{.ID}},{{end}}");
  ASSERT_TRUE(tmpl.ok());
  auto out = tmpl->execute(rows);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->size(), 108890u);
  EXPECT_EQ(out->substr(0, 8), "0,1,2,3,");
}

TEST(Template, DeepNestingFailsInsteadOfExhaustingTheStack) {
  auto nested = [](int n, const std::string& open, const std::string& close) {
    std::string t;
    for (int i = 0; i < n; ++i) t += open;
    t += "1";
    for (int i = 0; i < n; ++i) t += close;
    return t;
  };
  auto ok = Template::parse("{{" + nested(200, "(", ")") + "}}");
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_EQ(*ok->execute(json::object()), "1");
  auto parens = Template::parse("{{" + nested(5000, "(", ")") + "}}");
  ASSERT_FALSE(parens.ok());
  EXPECT_EQ(parens.error().message(), "template: :1: max expression depth exceeded");
  auto ifs = Template::parse(nested(5000, "{{if 1}}", "{{end}}"));
  ASSERT_FALSE(ifs.ok());
  EXPECT_EQ(ifs.error().message(), "template: :1: max expression depth exceeded");
}

TEST(Template, RandomInputsFailCleanly) {
  // Token soup from a fixed seed: every result is output or a "template: " error, never a crash.
  const std::vector<std::string> pieces = {
      "{{",        "}}",          "{{-",   "-}}",   " ",     "\n",   ".S",    ".M.x", "$x",   "$",
      "(",         ")",           "|",     "\"s\"", "`r`",   "'c'",  "1",     "-1",   "0x1F", "1e2",
      ".",         "if",          "else",  "end",   "range", "with", "break", ":=",   "=",    ",",
      "len",       "printf",      "index", "slice", "/*",    "*/",   "nil",   "true", "x",    "..",
      "\"%d %v\"", "{{/* c */}}", "\t",    "json",  "eq",    "and"};
  json data = {{"S", "str"}, {"M", {{"x", 1}}}, {"L", {1, 2}}};
  uint64_t state = 42;
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<size_t>(state >> 33);
  };
  int parsed = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string text;
    for (size_t n = 1 + next() % 12; n > 0; --n) text += pieces[next() % pieces.size()];
    auto tmpl = Template::parse(text);
    if (!tmpl.ok()) {
      EXPECT_TRUE(tmpl.error().message().starts_with("template: :")) << text;
      continue;
    }
    ++parsed;
    auto out = tmpl->execute(data);
    if (!out.ok()) {
      EXPECT_TRUE(out.error().message().starts_with("template: :")) << text;
    }
  }
  EXPECT_GT(parsed, 500);
}

}  // namespace
}  // namespace berth::format
