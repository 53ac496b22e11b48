#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "monitor/args.h"
#include "monitor/json_log.h"

namespace berth::monitor {
namespace {

std::string esc(const std::string& s) {
  std::string out(escaped_size(s.data(), s.size()), '\0');
  EXPECT_EQ(json_escape(s.data(), s.size(), out.data()), out.size());
  return out;
}

TEST(JsonEscape, PlainTextIsKept) {
  EXPECT_EQ(esc("hello world 123 ~!@#$%^*()_+{}|:?"), "hello world 123 ~!@#$%^*()_+{}|:?");
  EXPECT_EQ(esc(""), "");
}

TEST(JsonEscape, MustEscapesAndControlBytesAsDocker) {
  EXPECT_EQ(esc("a\"b\\c\n\r\t"), "a\\\"b\\\\c\\n\\r\\t");
  // Go's encoder writes other control bytes as \u00XX (lowercase hex), \b and \f included.
  EXPECT_EQ(esc(std::string("\x00\x01\b\f\x1f", 5)), "\\u0000\\u0001\\u0008\\u000c\\u001f");
  // DEL is not escaped.
  EXPECT_EQ(esc("\x7f"), "\x7f");
}

TEST(JsonEscape, HtmlCharactersAsGoEscapesThem) {
  EXPECT_EQ(esc("<a href=x>&</a>"), "\\u003ca href=x\\u003e\\u0026\\u003c/a\\u003e");
}

TEST(JsonEscape, ValidUtf8IsKept) {
  EXPECT_EQ(esc("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

TEST(JsonEscape, InvalidUtf8BecomesOneReplacementPerByte) {
  EXPECT_EQ(esc("a\xff" "b"), "a\\ufffdb");
  // A truncated sequence: each byte on its own.
  EXPECT_EQ(esc("\xe2\x82"), "\\ufffd\\ufffd");
  // Overlong form of '/', a UTF-16 surrogate, and a code point past U+10FFFF.
  EXPECT_EQ(esc("\xc0\xaf"), "\\ufffd\\ufffd");
  EXPECT_EQ(esc("\xed\xa0\x80"), "\\ufffd\\ufffd\\ufffd");
  EXPECT_EQ(esc("\xf4\x90\x80\x80"), "\\ufffd\\ufffd\\ufffd\\ufffd");
}

TEST(JsonEscape, LineAndParagraphSeparators) {
  EXPECT_EQ(esc("\xe2\x80\xa8\xe2\x80\xa9"), "\\u2028\\u2029");
}

TEST(Rfc3339Nano, TrimsTrailingZeros) {
  char buf[40];
  EXPECT_EQ(std::string(buf, format_rfc3339_nano(1714557600, 123456789, buf)),
            "2024-05-01T10:00:00.123456789Z");
  EXPECT_EQ(std::string(buf, format_rfc3339_nano(1714557600, 120000000, buf)),
            "2024-05-01T10:00:00.12Z");
  EXPECT_EQ(std::string(buf, format_rfc3339_nano(1714557600, 0, buf)), "2024-05-01T10:00:00Z");
  EXPECT_EQ(std::string(buf, format_rfc3339_nano(0, 1, buf)), "1970-01-01T00:00:00.000000001Z");
}

TEST(RotatedName, AppendsTheIndex) {
  char buf[64];
  ASSERT_TRUE(rotated_name("/x/id-json.log", 2, buf, sizeof buf));
  EXPECT_STREQ(buf, "/x/id-json.log.2");
  EXPECT_FALSE(rotated_name("/a/very/long/path", 1, buf, 10));
}

class LogDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-monitor-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/id-json.log";
  }
  void TearDown() override { (void)!system(("rm -rf " + dir_).c_str()); }
  LogFile open_log(uint64_t max_size, int max_files) {
    LogFile l;
    l.fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    l.path = path_.c_str();
    l.max_size = max_size;
    l.max_files = max_files;
    return l;
  }
  static std::string slurp(const std::string& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::string dir_, path_;
};

TEST_F(LogDir, RecordIsDockersLine) {
  LogFile l = open_log(1 << 20, 3);
  ASSERT_EQ(log_record(l, "stderr", "hi <b>\n", 7, 1714557600, 5000), 0);
  EXPECT_EQ(slurp(path_),
            "{\"log\":\"hi \\u003cb\\u003e\\n\",\"stream\":\"stderr\",\"time\":"
            "\"2024-05-01T10:00:00.000005Z\"}\n");
  ::close(l.fd);
}

TEST_F(LogDir, RotatesAtMaxSizeKeepingMaxFiles) {
  // Each record is 67 bytes: two fit in 200, the third starts a new file.
  LogFile l = open_log(200, 3);
  for (int i = 0; i < 10; ++i) {
    std::string line = "line " + std::to_string(i) + "\n";
    ASSERT_EQ(log_record(l, "stdout", line.data(), line.size(), 1714557600, 0), 0);
  }
  struct stat st;
  EXPECT_EQ(::stat((path_ + ".1").c_str(), &st), 0);
  EXPECT_EQ(::stat((path_ + ".2").c_str(), &st), 0);
  EXPECT_NE(::stat((path_ + ".3").c_str(), &st), 0);
  for (const auto& p : {path_, path_ + ".1", path_ + ".2"}) {
    ASSERT_EQ(::stat(p.c_str(), &st), 0);
    EXPECT_LE(st.st_size, 200);
  }
  // The newest lines are in the live file, the older ones in .1.
  EXPECT_NE(slurp(path_).find("line 9"), std::string::npos);
  EXPECT_NE(slurp(path_ + ".1").find("line 7"), std::string::npos);
  EXPECT_EQ(slurp(path_ + ".2").find("line 0"), std::string::npos);  // rotated away
  ::close(l.fd);
}

TEST_F(LogDir, OneFileTruncates) {
  LogFile l = open_log(100, 1);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(log_record(l, "stdout", "0123456789\n", 11, 1, 0), 0);
  struct stat st;
  EXPECT_NE(::stat((path_ + ".1").c_str(), &st), 0);
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_LE(st.st_size, 100);
  ::close(l.fd);
}

TEST_F(LogDir, LinesSplitAtNewlinesAndAtTheLimit) {
  LogFile l = open_log(1 << 30, 3);
  static LineBuffer b;
  b.name = "stdout";
  memcpy(b.buf, "one\ntw", 6);
  b.len = 6;
  ASSERT_EQ(emit_lines(b, l, false), 0);
  EXPECT_EQ(std::string(b.buf, b.len), "tw");  // waits for the rest of its line
  memset(b.buf, 'x', kMaxLine);
  b.len = kMaxLine;
  ASSERT_EQ(emit_lines(b, l, false), 0);  // a full buffer without a newline is recorded
  EXPECT_EQ(b.len, 0u);
  memcpy(b.buf, "tail", 4);
  b.len = 4;
  ASSERT_EQ(emit_lines(b, l, true), 0);  // at the end, the unterminated rest too
  std::string text = slurp(path_);
  EXPECT_NE(text.find("{\"log\":\"one\\n\",\"stream\":\"stdout\""), std::string::npos);
  EXPECT_NE(text.find("{\"log\":\"" + std::string(kMaxLine, 'x') + "\","), std::string::npos);
  EXPECT_NE(text.find("{\"log\":\"tail\","), std::string::npos);
  ::close(l.fd);
}

TEST(Args, ParsesWhatBerthPasses) {
  const char* argv[] = {"berth-monitor", "abc", "--berth", "/b", "--root", "/r", "--runroot",
                        "/rr", "--pid", "42", "--out", "4", "--err", "5", "--log-fd", "6",
                        "--log", "/l", "--max-size", "2000", "--max-files", "2",
                        "--health-interval", "200000000", "--restarts", "3", "--delay-ms", "800"};
  Args a;
  ASSERT_EQ(parse_args(sizeof argv / sizeof *argv, const_cast<char**>(argv), a), nullptr);
  EXPECT_STREQ(a.id, "abc");
  EXPECT_EQ(a.pid, 42);
  EXPECT_EQ(a.out_fd, 4);
  EXPECT_EQ(a.err_fd, 5);
  EXPECT_EQ(a.log_fd, 6);
  EXPECT_EQ(a.max_size, 2000);
  EXPECT_EQ(a.max_files, 2);
  EXPECT_EQ(a.health_interval_ns, 200000000);
  EXPECT_STREQ(a.restarts, "3");
  EXPECT_STREQ(a.delay_ms, "800");
}

TEST(Args, ParsesTheAttachSocket) {
  const char* argv[] = {"berth-monitor", "abc", "--berth", "/b", "--root", "/r", "--runroot", "/rr",
                        "--pid", "42", "--attach-fd", "7", "--attach-path", "/c/attach.sock",
                        "--stdin", "8", "--wait-attach-ms", "5000"};
  Args a;
  ASSERT_EQ(parse_args(sizeof argv / sizeof *argv, const_cast<char**>(argv), a), nullptr);
  EXPECT_EQ(a.attach_fd, 7);
  EXPECT_STREQ(a.attach_path, "/c/attach.sock");
  EXPECT_EQ(a.stdin_fd, 8);
  EXPECT_EQ(a.wait_attach_ms, 5000);
  const char* no_path[] = {"berth-monitor", "abc", "--berth", "/b", "--root", "/r", "--runroot",
                           "/rr", "--pid", "42", "--attach-fd", "7"};
  Args b;
  EXPECT_STREQ(parse_args(12, const_cast<char**>(no_path), b), "--attach-fd needs --attach-path");
}

TEST(Args, RefusesWhatIsMissingOrWrong) {
  Args a;
  const char* no_pid[] = {"berth-monitor", "abc", "--berth", "/b", "--root", "/r", "--runroot", "/rr"};
  EXPECT_STREQ(parse_args(8, const_cast<char**>(no_pid), a),
               "--berth, --root, --runroot and --pid are required");
  const char* bad_fd[] = {"berth-monitor", "abc", "--out", "x"};
  EXPECT_STREQ(parse_args(4, const_cast<char**>(bad_fd), a), "bad --out");
  const char* unknown[] = {"berth-monitor", "abc", "--frob", "1"};
  EXPECT_STREQ(parse_args(4, const_cast<char**>(unknown), a), "unknown flag");
}

}  // namespace
}  // namespace berth::monitor
