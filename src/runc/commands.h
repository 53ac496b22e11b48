// berth-runc's commands, after runc.cc parsed the command line.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/error.h"

namespace berth::runc {

struct Globals {
  std::string root = "/run/berth-runc";
  std::string log;         // --log: errors also go here
  std::string log_format;  // text|json
  bool systemd_cgroup = false;
};

// One parsed command line: flag values by canonical name and the positional arguments.
struct Args {
  std::map<std::string, std::vector<std::string>> values;
  std::vector<std::string> positional;
  bool has(const std::string& f) const { return values.count(f) != 0; }
  std::string get(const std::string& f) const {
    auto it = values.find(f);
    return it == values.end() || it->second.empty() ? "" : it->second.back();
  }
  bool flag(const std::string& f) const {
    auto v = get(f);
    return has(f) && v != "false" && v != "0";
  }
};

// Each returns the exit status; errors come back as Error and exit 1.
Result<int> cmd_create(const Globals& g, const Args& a);
Result<int> cmd_start(const Globals& g, const Args& a);
Result<int> cmd_run(const Globals& g, const Args& a);
Result<int> cmd_state(const Globals& g, const Args& a);
Result<int> cmd_kill(const Globals& g, const Args& a);
Result<int> cmd_delete(const Globals& g, const Args& a);
Result<int> cmd_exec(const Globals& g, const Args& a);
Result<int> cmd_ps(const Globals& g, const Args& a);
Result<int> cmd_list(const Globals& g, const Args& a);
Result<int> cmd_pause(const Globals& g, const Args& a, bool pause);
Result<int> cmd_spec(const Globals& g, const Args& a);
Result<int> cmd_features(const Globals& g, const Args& a);

// "KILL", "SIGKILL", "9" -> 9. kInvalidArgument otherwise.
Result<int> parse_signal(const std::string& s);

}  // namespace berth::runc
