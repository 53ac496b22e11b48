// Unit tests for Docker's detach keys: the parser, config.json's default, and the matcher.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/fs.h"
#include "engine/detach_keys.h"

namespace berth::engine {
namespace {

TEST(DetachKeys, ParsesDockerSyntax) {
  EXPECT_EQ(*parse_detach_keys("ctrl-p,ctrl-q"), "\x10\x11");
  EXPECT_EQ(*parse_detach_keys("ctrl-a"), "\x01");
  EXPECT_EQ(*parse_detach_keys("CTRL-Z"), "\x1a");
  EXPECT_EQ(*parse_detach_keys("ctrl-@"), std::string(1, '\0'));
  EXPECT_EQ(*parse_detach_keys("ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_"), "\x1b\x1c\x1d\x1e\x1f");
  EXPECT_EQ(*parse_detach_keys("a,Q,ctrl-e,1"), "aQ\x05" "1");
}

TEST(DetachKeys, RejectsWhatDockerRejects) {
  for (const char* bad : {"", "ctrl-", "ctrl-1", "ctrl-ab", "ab", "ctrl-p,", ",a", "ctrl-p,,ctrl-q",
                          "shift-a", "ctrl-{"}) {
    auto r = parse_detach_keys(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code(), Code::kInvalidArgument) << bad;
    }
  }
  EXPECT_NE(parse_detach_keys("ctrl-p,ctrl-1").error().message().find("'ctrl-1'"), std::string::npos);
}

class DetachKeysConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-detach-test.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    path_ = path_join(dir_, "config.json");
  }
  void TearDown() override { (void)remove_all(dir_); }
  std::string dir_, path_;
};

TEST_F(DetachKeysConfig, FlagThenConfigThenDefault) {
  EXPECT_EQ(*resolve_detach_keys("", path_), "\x10\x11");  // no config.json
  ASSERT_TRUE(atomic_write_file(path_, R"({"auths":{},"detachKeys":"ctrl-e,e"})").ok());
  EXPECT_EQ(*resolve_detach_keys("", path_), "\x05" "e");
  EXPECT_EQ(*resolve_detach_keys("ctrl-x", path_), "\x18");  // the flag wins
  ASSERT_TRUE(atomic_write_file(path_, R"({"auths":{}})").ok());
  EXPECT_EQ(*resolve_detach_keys("", path_), "\x10\x11");
}

TEST_F(DetachKeysConfig, ErrorsNameTheFlagOrTheFile) {
  auto flag = resolve_detach_keys("ctrl-1", path_);
  ASSERT_FALSE(flag.ok());
  EXPECT_EQ(flag.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(flag.error().message().rfind("invalid argument \"ctrl-1\" for \"--detach-keys\" flag: unknown key 'ctrl-1'", 0), 0u)
      << flag.error().message();
  ASSERT_TRUE(atomic_write_file(path_, R"({"detachKeys":"ctrl-?"})").ok());
  auto conf = resolve_detach_keys("", path_);
  ASSERT_FALSE(conf.ok());
  EXPECT_NE(conf.error().message().find(path_), std::string::npos);
  EXPECT_NE(conf.error().message().find("detachKeys"), std::string::npos);
}

std::string feed_all(DetachMatcher& m, std::initializer_list<std::string> reads, bool* detached) {
  std::string out;
  *detached = false;
  for (const auto& r : reads)
    if (m.feed(r.data(), r.size(), out)) {
      *detached = true;
      break;
    }
  return out;
}

TEST(DetachMatcher, DetachesAndHoldsThePrefixBack) {
  DetachMatcher m("\x10\x11");
  bool d;
  EXPECT_EQ(feed_all(m, {"ls\r", "\x10", "\x11", "never"}, &d), "ls\r");
  EXPECT_TRUE(d);
  DetachMatcher one_read("\x10\x11");
  EXPECT_EQ(feed_all(one_read, {"echo hi\x10\x11trailing"}, &d), "echo hi");
  EXPECT_TRUE(d);
}

TEST(DetachMatcher, DivergentPrefixPassesThroughUnchanged) {
  DetachMatcher m("\x05" "e");  // ctrl-e,e
  bool d;
  EXPECT_EQ(feed_all(m, {"\x05", "x"}, &d), "\x05x");
  EXPECT_FALSE(d);
  EXPECT_EQ(feed_all(m, {"a\x05", "\x05", "e"}, &d), "a\x05\x05" "e");  // as Docker: no retry
  EXPECT_FALSE(d);
  EXPECT_EQ(feed_all(m, {"\x05"}, &d), "");
  EXPECT_EQ(m.held(), "\x05");  // held until the next key says which it is
  std::string out;
  EXPECT_TRUE(m.feed("e", 1, out));
  EXPECT_EQ(out, "");
  DetachMatcher three("abc");
  EXPECT_EQ(feed_all(three, {"ab", "d"}, &d), "abd");
  EXPECT_FALSE(d);
}

TEST(DetachMatcher, SingleKeyAndNone) {
  DetachMatcher single("\x18");
  std::string out;
  EXPECT_TRUE(single.feed("ab\x18" "c", 4, out));
  EXPECT_EQ(out, "ab");
  DetachMatcher none("");
  out.clear();
  EXPECT_FALSE(none.feed("\x10\x11", 2, out));
  EXPECT_EQ(out, "\x10\x11");
}

}  // namespace
}  // namespace berth::engine
