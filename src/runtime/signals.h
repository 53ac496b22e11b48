// Signal names as Docker takes them (`kill -s`, `--stop-signal`, STOPSIGNAL).
#pragma once

#include <string_view>

#include "base/error.h"

namespace berth::runtime {

// "TERM", "SIGTERM", "sigterm", "15", "RTMIN+3" -> the number. "Invalid signal: x" otherwise.
Result<int> parse_signal(std::string_view s);

}  // namespace berth::runtime
