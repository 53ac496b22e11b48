#include "cli/cli.h"

#include <unistd.h>

#include "base/log.h"
#include "format/table.h"
#include "format/template.h"

namespace berth::cli {

Result<engine::Engine*> Cli::engine() {
  if (!engine_) {
    if (!set_log_level(global.debug ? "debug" : global.log_level))
      return invalid_argument("Unable to parse logging level: " + global.log_level);
    BERTH_ASSIGN_OR_RETURN(engine_, engine::Engine::open({global.root, global.runroot}));
  }
  return engine_.get();
}

void Cli::fail(const Error& e, int code) {
  err << "Error: " << e.message() << "\n";
  exit_code = code;
}

bool Cli::confirm(const std::string& warning) {
  out << warning << "\nAre you sure you want to continue? [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "Yes";
}

void Cli::print_list(const std::string& user_format, const std::string& default_format,
                     const std::map<std::string, std::string>& headers,
                     const std::vector<nlohmann::json>& rows) {
  auto rendered = format::render_list(user_format, {default_format, headers}, rows);
  if (!rendered.ok()) {
    fail(rendered.error());
    return;
  }
  out << *rendered;
}

void Cli::print_objects(const std::string& fmt, const std::vector<nlohmann::ordered_json>& objs) {
  if (fmt.empty() || fmt == "json") {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const auto& o : objs) arr.push_back(o);
    out << (objs.empty() ? std::string("[]") : arr.dump(4)) << "\n";
    return;
  }
  auto tmpl = format::Template::parse(fmt);
  if (!tmpl.ok()) {
    fail(tmpl.error());
    return;
  }
  for (const auto& o : objs) {
    auto s = tmpl->execute(nlohmann::json::parse(o.dump()));
    if (!s.ok()) {
      fail(s.error());
      return;
    }
    out << *s << "\n";
  }
}

}  // namespace berth::cli
