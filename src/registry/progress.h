// Progress events of pulls and pushes, for the faces to render as Docker does (a line per
// layer: "a1b2c3d4e5f6: Pull complete").
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace berth::registry {

struct ProgressEvent {
  std::string id;      // 12 hex characters of a layer's digest; "" for a line of its own
  std::string status;  // "Pulling fs layer", "Downloading", "Download complete", ...
  uint64_t current = 0, total = 0;  // bytes, for "Downloading", "Extracting" and "Pushing"
  bool has_progress() const { return total > 0 || current > 0; }
};

// Called from one thread at a time (pull and push serialize their workers' events).
using ProgressFn = std::function<void(const ProgressEvent&)>;

// "sha256:<hex>" -> its first 12 hex characters.
inline std::string short_digest(const std::string& d) {
  auto p = d.find(':');
  return d.substr(p == std::string::npos ? 0 : p + 1, 12);
}

}  // namespace berth::registry
