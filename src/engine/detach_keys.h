// Docker's detach keys: the key sequence that detaches a terminal from a container's tty
// (`attach`, `start -ai`, `run -it`, `exec -it`) and leaves the container running.
//
// Syntax (Docker's --detach-keys and config.json's "detachKeys"): a comma-separated list of
// keys, each a single character ("a", "Q") or `ctrl-<value>` with value one of a-z, @, [, \,
// ], ^, _ (case-insensitive: "ctrl-P" is ctrl-p). The default is ctrl-p,ctrl-q.
// Precedence: the command's --detach-keys, else "detachKeys" in $DOCKER_CONFIG/config.json
// (~/.docker/config.json; the file berth keeps logins in), else the default.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::engine {

inline constexpr std::string_view kDefaultDetachKeys = "\x10\x11";  // ctrl-p ctrl-q

// The bytes a terminal sends for `keys`; kInvalidArgument naming the bad key otherwise.
Result<std::string> parse_detach_keys(std::string_view keys);

// The sequence in effect: `flag` (--detach-keys) when given, else config.json's "detachKeys",
// else the default. Errors name the flag (`invalid argument "x" for "--detach-keys" flag: ...`)
// or the config file.
Result<std::string> resolve_detach_keys(const std::string& flag);
// The same with the config file named (tests).
Result<std::string> resolve_detach_keys(const std::string& flag, const std::string& config_path);

// Finds the sequence in a terminal's input stream, read by read. Bytes that begin the sequence
// are held back until it completes (they never reach the container) or diverges: then they are
// passed on unchanged, followed by the byte that diverged, as Docker does.
class DetachMatcher {
 public:
  explicit DetachMatcher(std::string seq) : seq_(std::move(seq)) {}
  // Appends to `out` what the container should get from these bytes; true when the sequence
  // completed (bytes after it in this read are dropped: the client is leaving).
  bool feed(const char* p, size_t n, std::string& out);
  // Bytes held back so far (the input ended: pass them on).
  std::string_view held() const { return std::string_view(seq_).substr(0, matched_); }

 private:
  std::string seq_;
  size_t matched_ = 0;
};

}  // namespace berth::engine
