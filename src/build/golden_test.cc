// Golden tests for the parser: testdata/parse/<case>/Dockerfile with either `expected` (one line
// per instruction: "<line> <keyword> [<flags>] <args or json:a|b> [heredoc:NAME=<body>]") or
// `error` (the exact message).
#include <dirent.h>

#include <algorithm>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/strings.h"
#include "build/dockerfile.h"

namespace berth::build {
namespace {

std::string escape_newlines(const std::string& s) {
  std::string o;
  for (char c : s) o += c == '\n' ? std::string("\\n") : std::string(1, c);
  return o;
}

std::string dump(const Dockerfile& df) {
  std::string out;
  for (const auto& i : df.instructions) {
    out += std::to_string(i.line) + " " + i.keyword + " [" + join(i.flags, " ") + "] ";
    out += i.json ? "json:" + join(i.json_args, "|") : i.args;
    for (const auto& h : i.heredocs) out += " heredoc:" + h.name + "=" + escape_newlines(h.content);
    out += "\n";
  }
  return out;
}

TEST(Golden, ParseCases) {
  std::string root = std::string(BERTH_TESTDATA_DIR) + "/parse";
  DIR* d = ::opendir(root.c_str());
  ASSERT_NE(d, nullptr) << root;
  std::vector<std::string> cases;
  while (auto* e = ::readdir(d))
    if (e->d_name[0] != '.') cases.emplace_back(e->d_name);
  ::closedir(d);
  std::sort(cases.begin(), cases.end());
  ASSERT_GE(cases.size(), 5u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c);
    std::string dir = path_join(root, c);
    auto text = read_file(path_join(dir, "Dockerfile"));
    ASSERT_TRUE(text.ok());
    auto parsed = parse_dockerfile(*text);
    if (path_exists(path_join(dir, "error"))) {
      ASSERT_FALSE(parsed.ok());
      EXPECT_EQ(parsed.error().message(), *read_file(path_join(dir, "error")));
    } else {
      ASSERT_TRUE(parsed.ok()) << parsed.error().message();
      EXPECT_EQ(dump(*parsed), *read_file(path_join(dir, "expected")));
    }
  }
}

}  // namespace
}  // namespace berth::build
