// Docker's json-file log driver: one JSON object a line, {"log","stream","time"}, in
// containers/<id>/<id>-json.log, rotated at max_size into at most max_files files. Unlike Docker,
// logs are bounded by default (3 files of 10 MB): unbounded logs filling disks is a top complaint.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::engine {

struct LogConfig {
  std::string driver = "json-file";  // or "none"
  int64_t max_size = 10 * 1000 * 1000;
  int max_files = 3;
};

// Parses --log-driver and --log-opt values ("max-size=10m", "max-file=3").
Result<LogConfig> parse_log_config(const std::string& driver, const std::vector<std::string>& opts);

class LogWriter {
 public:
  static Result<LogWriter> open(std::string path, const LogConfig& cfg);
  // Appends one record per complete line; a partial line waits for its end (or 16 KiB).
  Status write(std::string_view stream, std::string_view data);
  // Writes what is left of unterminated lines.
  Status flush();

 private:
  LogWriter(std::string path, LogConfig cfg, UniqueFd fd, uint64_t size)
      : path_(std::move(path)), cfg_(cfg), fd_(std::move(fd)), size_(size) {}
  Status record(std::string_view stream, std::string_view line);
  Status rotate();

  std::string path_;
  LogConfig cfg_;
  UniqueFd fd_;
  uint64_t size_ = 0;
  std::string partial_[2];  // stdout, stderr
};

struct LogLine {
  std::string stream;  // "stdout" / "stderr"
  std::string log;     // with its newline
  std::string time;    // RFC 3339 nano
  int64_t nanos = 0;
};

struct ReadLogsOptions {
  std::optional<size_t> tail;            // last N lines
  std::optional<int64_t> since, until;   // unix nanos
  bool follow = false;
  // With follow: true while the container may still write.
  std::function<bool()> still_running;
};

// Reads the log files oldest first and calls `sink` for each line that passes the options.
Status read_logs(const std::string& path, const ReadLogsOptions& opts,
                 const std::function<void(const LogLine&)>& sink);

}  // namespace berth::engine
