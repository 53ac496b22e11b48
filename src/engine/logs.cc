#include "engine/logs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "base/strings.h"
#include "format/units.h"
#include "image/store.h"

namespace berth::engine {

Result<LogConfig> parse_log_config(const std::string& driver,
                                   const std::vector<std::string>& opts) {
  LogConfig c;
  if (!driver.empty()) {
    if (driver != "json-file" && driver != "none")
      return invalid_argument("logging driver \"" + driver +
                              "\" is not supported (json-file, none)");
    c.driver = driver;
  }
  for (const auto& o : opts) {
    auto kv = split_once(o, '=');
    if (kv.first == "max-size") {
      auto n = format::parse_ram_size(kv.second);
      if (!n.ok() || *n <= 0) return invalid_argument("invalid max-size: " + kv.second);
      c.max_size = *n;
    } else if (kv.first == "max-file") {
      try {
        c.max_files = std::stoi(kv.second);
      } catch (...) {
        c.max_files = 0;
      }
      if (c.max_files < 1) return invalid_argument("invalid max-file: " + kv.second);
    } else {
      return invalid_argument("unknown log opt '" + kv.first + "' for json-file log driver");
    }
  }
  return c;
}

Result<LogWriter> LogWriter::open(std::string path, const LogConfig& cfg) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, open_file(path, O_WRONLY | O_CREAT | O_APPEND, 0640));
  struct stat st;
  uint64_t size = ::fstat(fd.get(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  return LogWriter(std::move(path), cfg, std::move(fd), size);
}

Status LogWriter::rotate() {
  fd_.reset();
  for (int i = cfg_.max_files - 1; i >= 1; --i) {
    std::string from = i == 1 ? path_ : path_ + "." + std::to_string(i - 1);
    ::rename(from.c_str(), (path_ + "." + std::to_string(i)).c_str());
  }
  if (cfg_.max_files == 1) ::unlink(path_.c_str());
  BERTH_ASSIGN_OR_RETURN(fd_, open_file(path_, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0640));
  size_ = 0;
  return {};
}

Status LogWriter::record(std::string_view stream, std::string_view line) {
  nlohmann::json j;
  j["log"] = std::string(line);
  j["stream"] = std::string(stream);
  j["time"] = format::format_rfc3339_nano(image::now_nanos());
  std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (size_ > 0 && size_ + text.size() > static_cast<uint64_t>(cfg_.max_size)) BERTH_TRY(rotate());
  BERTH_TRY(write_all(fd_.get(), text));
  size_ += text.size();
  return {};
}

Status LogWriter::write(std::string_view stream, std::string_view data) {
  std::string& part = partial_[stream == "stderr" ? 1 : 0];
  part.append(data);
  size_t start = 0;
  while (true) {
    size_t nl = part.find('\n', start);
    if (nl == std::string::npos) break;
    BERTH_TRY(record(stream, std::string_view(part).substr(start, nl - start + 1)));
    start = nl + 1;
  }
  part.erase(0, start);
  if (part.size() >= 16384) {  // Docker splits long lines too
    BERTH_TRY(record(stream, part));
    part.clear();
  }
  return {};
}

Status LogWriter::flush() {
  for (int i = 0; i < 2; ++i) {
    if (partial_[i].empty()) continue;
    BERTH_TRY(record(i == 0 ? "stdout" : "stderr", partial_[i]));
    partial_[i].clear();
  }
  return {};
}

namespace {

bool parse_line(const std::string& text, LogLine& out) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  out.stream = j.value("stream", "stdout");
  out.log = j.value("log", "");
  out.time = j.value("time", "");
  auto t = format::parse_rfc3339_nano(out.time);
  out.nanos = t.ok() ? *t : 0;
  return true;
}

bool wanted(const LogLine& l, const ReadLogsOptions& o) {
  if (o.since && l.nanos < *o.since) return false;
  if (o.until && l.nanos > *o.until) return false;
  return true;
}

}  // namespace

Status read_logs(const std::string& path, const ReadLogsOptions& opts,
                 const std::function<void(const LogLine&)>& sink) {
  std::vector<std::string> files;
  for (int i = 64; i >= 1; --i)
    if (path_exists(path + "." + std::to_string(i))) files.push_back(path + "." + std::to_string(i));
  files.push_back(path);
  std::deque<LogLine> kept;  // for --tail
  for (const auto& f : files) {
    std::ifstream in(f);
    std::string text;
    while (std::getline(in, text)) {
      LogLine l;
      if (!parse_line(text, l) || !wanted(l, opts)) continue;
      if (opts.tail) {
        kept.push_back(std::move(l));
        if (kept.size() > *opts.tail) kept.pop_front();
      } else {
        sink(l);
      }
    }
  }
  for (const auto& l : kept) sink(l);
  if (!opts.follow) return {};
  // Follow the live file from its end; reopen it when the writer rotates.
  std::ifstream in(path);
  in.seekg(0, std::ios::end);
  struct stat st;
  ino_t ino = ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
  std::string pending;
  while (true) {
    std::string text;
    bool got = false;
    while (std::getline(in, text)) {
      if (in.eof()) {  // an unterminated last line: wait for the rest
        pending += text;
        break;
      }
      got = true;
      LogLine l;
      if (parse_line(pending + text, l) && wanted(l, opts)) sink(l);
      pending.clear();
    }
    in.clear();
    if (!got) {
      if (::stat(path.c_str(), &st) == 0 && st.st_ino != ino) {
        ino = st.st_ino;
        in = std::ifstream(path);
        continue;
      }
      if (!opts.still_running || !opts.still_running()) {
        // One last read: what was written just before the container exited.
        while (std::getline(in, text)) {
          LogLine l;
          if (parse_line(pending + text, l) && wanted(l, opts)) sink(l);
          pending.clear();
        }
        return {};
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

}  // namespace berth::engine
