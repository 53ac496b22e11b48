#include "base/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace berth {

bool set_log_level(std::string_view level) {
  static bool init = [] {
    auto logger = spdlog::stderr_color_st("berth");
    logger->set_pattern("%^%l%$[%H:%M:%S.%e] %v");
    spdlog::set_default_logger(logger);
    return true;
  }();
  (void)init;
  spdlog::level::level_enum lv;
  if (level == "trace") lv = spdlog::level::trace;
  else if (level == "debug") lv = spdlog::level::debug;
  else if (level == "info") lv = spdlog::level::info;
  else if (level == "warn" || level == "warning") lv = spdlog::level::warn;
  else if (level == "error") lv = spdlog::level::err;
  else if (level == "fatal" || level == "panic") lv = spdlog::level::critical;
  else return false;
  spdlog::set_level(lv);
  return true;
}

}  // namespace berth
