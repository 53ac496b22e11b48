#include "format/table.h"

#include <gtest/gtest.h>

namespace berth::format {
namespace {

using nlohmann::json;

// Expected outputs below were produced by Go's text/tabwriter with Docker's settings
// (NewWriter(out, 10, 1, 3, ' ', 0)) unless a test says otherwise.

TEST(Tabwrite, AlignsColumnsWithDockerSettings) {
  EXPECT_EQ(
      tabwrite("REPOSITORY\tTAG\tIMAGE ID\nalpine\t3.19\tabc\nbusybox-long-name\tlatest\tdef\n"),
      "REPOSITORY          TAG       IMAGE ID\n"
      "alpine              3.19      abc\n"
      "busybox-long-name   latest    def\n");
}

TEST(Tabwrite, LineWithoutTabsEndsTheColumnBlock) {
  EXPECT_EQ(tabwrite("a\tb\tc\nno tabs here\nlonger-cell-here\tx\n"),
            "a         b         c\nno tabs here\nlonger-cell-here   x\n");
}

TEST(Tabwrite, ColumnIsOnlyAsLongAsItsAdjacentLines) {
  EXPECT_EQ(tabwrite("a\tb\nccc\tddddddddddddddd\teee\nf\n"),
            "a         b\nccc       ddddddddddddddd   eee\nf\n");
}

TEST(Tabwrite, TextWithoutFinalNewlineAndEmptyInput) {
  EXPECT_EQ(tabwrite("x\ty"), "x         y");
  EXPECT_EQ(tabwrite("h1\th2\n"), "h1        h2\n");
  EXPECT_EQ(tabwrite(""), "");
}

TEST(Tabwrite, EmptyCellsArePadded) {
  EXPECT_EQ(tabwrite("\t\tz\na\t\tb\n"), "                    z\na                   b\n");
  EXPECT_EQ(tabwrite("a\v\vb\n"), "a                   b\n");
}

TEST(Tabwrite, FormFeedEndsAllColumns) {
  EXPECT_EQ(tabwrite("a\tb\fcccccccccccc\td\n"), "a         b\ncccccccccccc   d\n");
}

TEST(Tabwrite, Options) {
  EXPECT_EQ(tabwrite("a\tbbb\tc\naaaa\tb\tc\n", {.align_right = true}),
            "         a       bbbc\n      aaaa         bc\n");
  EXPECT_EQ(tabwrite("a\tbbb\tc\naaaaaaaaaa\tb\tc\n",
                     {.min_width = 0, .tab_width = 8, .padding = 1, .pad_char = '\t'}),
            "a\t\tbbb\tc\naaaaaaaaaa\tb\tc\n");
  EXPECT_EQ(tabwrite("a\v\vb\nc\v\vd\n", {.min_width = 2,
                                          .tab_width = 1,
                                          .padding = 1,
                                          .pad_char = '.',
                                          .discard_empty_columns = true}),
            "a.b\nc.d\n");
  EXPECT_EQ(
      tabwrite("\tx\ty\n\t\tz\n",
               {.min_width = 4, .tab_width = 4, .padding = 0, .pad_char = '.', .tab_indent = true}),
      "\tx...y\n\t\tz\n");
}

TEST(Tabwrite, WideCharactersCountTwoCells) {
  // Docker's tabwriter measures with go-runewidth: a CJK character takes two columns, é one.
  EXPECT_EQ(tabwrite("名前\tx\nabc\ty\n"), "名前      x\nabc       y\n");
  EXPECT_EQ(tabwrite("café-latte-x\tx\nabc\ty\n"), "café-latte-x   x\nabc            y\n");
}

const ListFormat kImages{
    .default_format = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}",
    .headers = {{"Repository", "REPOSITORY"},
                {"Tag", "TAG"},
                {"ID", "IMAGE ID"},
                {"CreatedSince", "CREATED"},
                {"Size", "SIZE"}},
};

std::vector<json> image_rows() {
  return {
      {{"Repository", "alpine"},
       {"Tag", "3.19"},
       {"ID", "05455a08881e"},
       {"CreatedSince", "2 weeks ago"},
       {"Size", "7.38MB"}},
      {{"Repository", "registry.example/team/app"},
       {"Tag", "latest"},
       {"ID", "1b2c3d4e5f60"},
       {"CreatedSince", "About an hour ago"},
       {"Size", "112MB"}},
  };
}

TEST(RenderList, DefaultTableMatchesDockerImages) {
  auto out = render_list("", kImages, image_rows());
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(*out,
            "REPOSITORY                  TAG       IMAGE ID       CREATED             SIZE\n"
            "alpine                      3.19      05455a08881e   2 weeks ago         7.38MB\n"
            "registry.example/team/app   latest    1b2c3d4e5f60   About an hour ago   112MB\n");
  EXPECT_EQ(*render_list("table", kImages, image_rows()), *out);
}

TEST(RenderList, TableWithNoRowsPrintsTheHeader) {
  EXPECT_EQ(*render_list("", kImages, {}), "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n");
}

TEST(RenderList, UserTableWithShellEscapedTabs) {
  // What a user types in a shell: a backslash and a 't', not a tab.
  auto out = render_list("table {{.ID}}\\t{{.Repository}}", kImages, image_rows());
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(*out,
            "IMAGE ID       REPOSITORY\n"
            "05455a08881e   alpine\n"
            "1b2c3d4e5f60   registry.example/team/app\n");
  EXPECT_EQ(*render_list("table {{.ID}}\t{{.Repository}}", kImages, image_rows()), *out);
}

TEST(RenderList, HeaderFunctionsKeepColumnTitles) {
  auto out = render_list("table {{upper .Repository}}\t{{json .Tag}}\t{{pad .ID 1 1}}|{{.Unknown}}",
                         kImages, {image_rows()[0]});
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(*out,
            "REPOSITORY   TAG        IMAGE ID |<no value>\n"
            "ALPINE       \"3.19\"     05455a08881e |<no value>\n");
}

TEST(RenderList, FailingHeaderIsCutShort) {
  // The header's dot is the header map, which has no Tags: index fails there and, as in Docker,
  // the header keeps what was written before the error.
  ListFormat spec{.default_format = "", .headers = {{"ID", "ID"}}};
  auto out = render_list("table {{.ID}}\t{{index .Tags 1}}", spec,
                         {json{{"ID", "abc"}, {"Tags", {"x", "y"}}}});
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(*out,
            "ID        \n"
            "abc       y\n");
}

TEST(RenderList, PlainTemplateHasNoHeaderNorAlignment) {
  auto out = render_list("{{.Repository}}:{{.Tag}}\\t{{.Size}}", kImages, image_rows());
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(*out, "alpine:3.19\t7.38MB\nregistry.example/team/app:latest\t112MB\n");
  EXPECT_EQ(*render_list("  {{.Tag}}  ", kImages, image_rows()), "3.19\nlatest\n");
  EXPECT_EQ(*render_list("{{.Tag}}", kImages, {}), "");
}

TEST(RenderList, JsonFormatPrintsOneObjectPerLine) {
  auto out = render_list("json", kImages, {image_rows()[0]});
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(*out,
            "{\"CreatedSince\":\"2 weeks "
            "ago\",\"ID\":\"05455a08881e\",\"Repository\":\"alpine\",\"Size\":\"7.38MB\","
            "\"Tag\":\"3.19\"}\n");
}

TEST(RenderList, ErrorsCarryDockersPrefix) {
  auto parse = render_list("table {{.ID", kImages, image_rows());
  ASSERT_FALSE(parse.ok());
  EXPECT_EQ(parse.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(parse.error().message(), "template parsing error: template: :1: unclosed action");

  auto exec = render_list("{{.ID.Short}}", kImages, image_rows());
  ASSERT_FALSE(exec.ok());
  EXPECT_EQ(exec.error().message(),
            "template parsing error: template: :1:5: executing \"\" at <.ID.Short>: "
            "can't evaluate field Short in type string");
}

}  // namespace
}  // namespace berth::format
