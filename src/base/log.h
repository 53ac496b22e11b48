// Logging: spdlog to stderr. The CLI sets the level from --log-level / -D.
#pragma once

#include <spdlog/spdlog.h>

namespace berth {
// Accepts Docker's level names: debug, info, warn, error, fatal (and trace, panic).
bool set_log_level(std::string_view level);
}  // namespace berth
