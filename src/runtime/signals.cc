#include "runtime/signals.h"

#include <csignal>
#include <map>
#include <string>

#include "base/strings.h"

namespace berth::runtime {

Result<int> parse_signal(std::string_view s) {
  static const std::map<std::string, int> kSignals = {
      {"ABRT", SIGABRT}, {"ALRM", SIGALRM}, {"BUS", SIGBUS},     {"CHLD", SIGCHLD},
      {"CONT", SIGCONT}, {"FPE", SIGFPE},   {"HUP", SIGHUP},     {"ILL", SIGILL},
      {"INT", SIGINT},   {"IO", SIGIO},     {"KILL", SIGKILL},   {"PIPE", SIGPIPE},
      {"PROF", SIGPROF}, {"PWR", SIGPWR},   {"QUIT", SIGQUIT},   {"SEGV", SIGSEGV},
      {"STOP", SIGSTOP}, {"SYS", SIGSYS},   {"TERM", SIGTERM},   {"TRAP", SIGTRAP},
      {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},   {"URG", SIGURG},
      {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"VTALRM", SIGVTALRM}, {"WINCH", SIGWINCH},
      {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}};
  std::string u;
  for (char ch : s) u += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (u.rfind("SIG", 0) == 0) u = u.substr(3);
  if (auto it = kSignals.find(u); it != kSignals.end()) return it->second;
  auto offset = [](const std::string& t) { return t.empty() ? 0 : std::atoi(t.c_str()); };
  if (u.rfind("RTMIN", 0) == 0) {
    int n = SIGRTMIN + offset(u.substr(u.size() > 5 && u[5] == '+' ? 6 : 5));
    if (n <= SIGRTMAX) return n;
  }
  if (!u.empty() && u.find_first_not_of("0123456789") == std::string::npos && u.size() < 4) {
    int n = std::atoi(u.c_str());
    if (n > 0 && n <= SIGRTMAX) return n;
  }
  return invalid_argument("Invalid signal: " + std::string(s));
}

}  // namespace berth::runtime
