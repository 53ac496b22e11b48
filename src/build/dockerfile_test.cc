#include "build/dockerfile.h"

#include <gtest/gtest.h>

namespace berth::build {
namespace {

Dockerfile parse_ok(std::string_view text) {
  auto r = parse_dockerfile(text);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return r.ok() ? *r : Dockerfile{};
}

std::string parse_err(std::string_view text) {
  auto r = parse_dockerfile(text);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.error().message();
}

TEST(Dockerfile, KeywordsAreCaseInsensitiveAndCarryLines) {
  auto df = parse_ok("# comment\nfrom busybox AS base\n\nRun echo hi\n");
  ASSERT_EQ(df.instructions.size(), 2u);
  EXPECT_EQ(df.instructions[0].keyword, "from");
  EXPECT_EQ(df.instructions[0].args, "busybox AS base");
  EXPECT_EQ(df.instructions[0].line, 2);
  EXPECT_EQ(df.instructions[1].keyword, "run");
  EXPECT_EQ(df.instructions[1].line, 4);
}

TEST(Dockerfile, ContinuationsSkipCommentsAndBlankLines) {
  auto df = parse_ok("FROM x\nRUN apt-get update \\\n    # a comment\n\n    && echo done\nCMD x\n");
  ASSERT_EQ(df.instructions.size(), 3u);
  EXPECT_EQ(df.instructions[1].args, "apt-get update     && echo done");
  EXPECT_EQ(df.instructions[1].line, 2);
  EXPECT_EQ(df.instructions[1].end_line, 5);
  EXPECT_EQ(df.instructions[2].line, 6);
}

TEST(Dockerfile, EscapeDirectiveChangesTheContinuationChar) {
  auto df = parse_ok("# escape=`\nFROM x\nRUN echo a `\n  b\\c\n");
  EXPECT_EQ(df.escape, '`');
  EXPECT_EQ(df.instructions[1].args, "echo a   b\\c");
}

TEST(Dockerfile, DirectivesOnlyInTheLeadingBlock) {
  auto df = parse_ok("# syntax=docker/dockerfile:1\nFROM x\n# escape=`\nRUN a \\\n b\n");
  EXPECT_EQ(df.syntax, "docker/dockerfile:1");
  EXPECT_EQ(df.escape, '\\');
  EXPECT_EQ(df.instructions[1].args, "a  b");
  EXPECT_NE(parse_err("# escape=x\nFROM a\n").find("invalid escape token"), std::string::npos);
}

TEST(Dockerfile, JsonAndShellForms) {
  auto df = parse_ok("FROM x\nCMD [\"a\", \"b c\"]\nENTRYPOINT [not json\nRUN [\"sh\", 1]\n");
  EXPECT_TRUE(df.instructions[1].json);
  EXPECT_EQ(df.instructions[1].json_args, (std::vector<std::string>{"a", "b c"}));
  EXPECT_FALSE(df.instructions[2].json);
  EXPECT_FALSE(df.instructions[3].json);  // not all strings: shell form, as Docker
}

TEST(Dockerfile, FlagsComeFirst) {
  auto df = parse_ok("FROM x\nCOPY --from=build --chown=1:2 /a /b\nRUN --mount=type=secret,id=s cat x --y\n");
  EXPECT_EQ(df.instructions[1].flags, (std::vector<std::string>{"--from=build", "--chown=1:2"}));
  EXPECT_EQ(df.instructions[1].args, "/a /b");
  EXPECT_EQ(flag_value(df.instructions[1].flags, "from"), "build");
  EXPECT_FALSE(flag_value(df.instructions[1].flags, "chmod"));
  EXPECT_EQ(df.instructions[2].args, "cat x --y");
  auto bad = check_flags(df.instructions[1], {"from"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "dockerfile parse error on line 2: unknown flag: chown");
}

TEST(Dockerfile, UnknownInstructionNamesTheLine) {
  EXPECT_EQ(parse_err("FROM busybox\nRUN true\nFOO bar\n"),
            "dockerfile parse error on line 3: unknown instruction: FOO");
}

TEST(Dockerfile, MissingArguments) {
  EXPECT_EQ(parse_err("FROM x\nEXPOSE\n"),
            "dockerfile parse error on line 2: EXPOSE requires at least one argument");
  EXPECT_NE(parse_err("# only a comment\n").find("file with no instructions"), std::string::npos);
}

TEST(Dockerfile, Heredocs) {
  auto df = parse_ok("FROM x\nRUN <<EOF\necho a\necho $b\nEOF\nCOPY <<-\"END\" /f\n\tline\n\tEND\nCMD y\n");
  ASSERT_EQ(df.instructions.size(), 4u);
  const auto& run = df.instructions[1];
  ASSERT_EQ(run.heredocs.size(), 1u);
  EXPECT_EQ(run.heredocs[0].name, "EOF");
  EXPECT_EQ(run.heredocs[0].content, "echo a\necho $b\n");
  EXPECT_TRUE(run.heredocs[0].expand);
  EXPECT_EQ(run.end_line, 5);
  const auto& copy = df.instructions[2];
  ASSERT_EQ(copy.heredocs.size(), 1u);
  EXPECT_EQ(copy.heredocs[0].content, "line\n");
  EXPECT_FALSE(copy.heredocs[0].expand);
  EXPECT_TRUE(copy.heredocs[0].strip_tabs);
  EXPECT_EQ(df.instructions[3].line, 9);
  EXPECT_EQ(parse_err("FROM x\nRUN <<EOF\necho\n"),
            "dockerfile parse error on line 2: unterminated heredoc EOF");
}

TEST(Dockerfile, CrLfLines) {
  auto df = parse_ok("FROM x\r\nRUN a \\\r\n b\r\n");
  EXPECT_EQ(df.instructions[1].args, "a  b");
}

}  // namespace
}  // namespace berth::build
