// Golden cases: testdata/templates/<case>/ holds `template`, an optional `input.json` (the dot;
// {} when absent) and either `expected` (the output) or `error` (the exact error message).
// One trailing newline of each file is not part of its content, so files can end normally.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "format/template.h"

namespace berth::format {
namespace {

namespace fs = std::filesystem;

const fs::path kCases = fs::path(BERTH_TESTDATA_DIR) / "templates";

std::string read_case_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  if (fs::is_directory(kCases))
    for (const auto& entry : fs::directory_iterator(kCases))
      names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

class TemplateGolden : public testing::TestWithParam<std::string> {};

TEST_P(TemplateGolden, Case) {
  fs::path dir = kCases / GetParam();
  nlohmann::json input = nlohmann::json::object();
  if (fs::exists(dir / "input.json"))
    input = nlohmann::json::parse(read_case_file(dir / "input.json"));
  std::string text = read_case_file(dir / "template");
  bool want_error = fs::exists(dir / "error");
  ASSERT_NE(want_error, fs::exists(dir / "expected"))
      << "a case has exactly one of expected, error";

  Result<std::string> out = invalid_argument("not run");
  auto tmpl = Template::parse(text);
  if (tmpl.ok()) {
    out = tmpl->execute(input);
  } else {
    out = std::move(tmpl).error();
  }
  if (want_error) {
    ASSERT_FALSE(out.ok()) << "output: " << *out;
    EXPECT_EQ(out.error().code(), Code::kInvalidArgument);
    EXPECT_EQ(out.error().message(), read_case_file(dir / "error"));
  } else {
    ASSERT_TRUE(out.ok()) << out.error().message();
    EXPECT_EQ(*out, read_case_file(dir / "expected"));
  }
}

INSTANTIATE_TEST_SUITE_P(Testdata, TemplateGolden, testing::ValuesIn(case_names()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST(TemplateGoldenSuite, HasCases) {
  // Guards against a moved testdata folder turning the suite into zero tests.
  EXPECT_GE(case_names().size(), 80u);
}

}  // namespace
}  // namespace berth::format
