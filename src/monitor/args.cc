#include "monitor/args.h"

#include <stdint.h>
#include <string.h>

namespace berth::monitor {
namespace {

// A decimal >= min, without strtoll (which would link in glibc's locale machinery).
bool number(const char* s, int64_t min, int64_t* out) {
  if (!s || !*s) return false;
  bool neg = *s == '-';
  if (neg) ++s;
  if (!*s) return false;
  int64_t v = 0;
  for (; *s; ++s) {
    if (*s < '0' || *s > '9' || v > (INT64_MAX - 9) / 10) return false;
    v = v * 10 + (*s - '0');
  }
  if (neg) v = -v;
  if (v < min) return false;
  *out = v;
  return true;
}

bool fd_arg(const char* s, int* out) {
  int64_t v;
  if (!number(s, 0, &v) || v > 1 << 20) return false;
  *out = static_cast<int>(v);
  return true;
}

}  // namespace

const char* parse_args(int argc, char** argv, Args& a) {
  if (argc < 2 || argv[1][0] == '-') return "usage: berth-monitor <id> --berth PATH ... (started by berth)";
  a.id = argv[1];
  for (int i = 2; i < argc; ++i) {
    const char* k = argv[i];
    if (i + 1 >= argc) return "a flag without its value";
    const char* v = argv[++i];
    int64_t n = 0;
    if (!strcmp(k, "--berth")) a.berth = v;
    else if (!strcmp(k, "--root")) a.root = v;
    else if (!strcmp(k, "--runroot")) a.runroot = v;
    else if (!strcmp(k, "--log")) a.log_path = v;
    else if (!strcmp(k, "--restarts")) a.restarts = v;
    else if (!strcmp(k, "--delay-ms")) a.delay_ms = v;
    else if (!strcmp(k, "--attach-path")) a.attach_path = v;
    else if (!strcmp(k, "--attach-fd")) {
      if (!fd_arg(v, &a.attach_fd)) return "bad --attach-fd";
    } else if (!strcmp(k, "--wait-attach-ms")) {
      if (!number(v, 0, &a.wait_attach_ms)) return "bad --wait-attach-ms";
    } else if (!strcmp(k, "--stdin")) {
      if (!fd_arg(v, &a.stdin_fd)) return "bad --stdin";
    } else if (!strcmp(k, "--pid")) {
      if (!number(v, 2, &n) || n > 1 << 30) return "bad --pid";
      a.pid = static_cast<int>(n);
    } else if (!strcmp(k, "--out")) {
      if (!fd_arg(v, &a.out_fd)) return "bad --out";
    } else if (!strcmp(k, "--err")) {
      if (!fd_arg(v, &a.err_fd)) return "bad --err";
    } else if (!strcmp(k, "--console")) {
      if (!fd_arg(v, &a.console_fd)) return "bad --console";
    } else if (!strcmp(k, "--log-fd")) {
      if (!fd_arg(v, &a.log_fd)) return "bad --log-fd";
    } else if (!strcmp(k, "--max-size")) {
      if (!number(v, 1, &a.max_size)) return "bad --max-size";
    } else if (!strcmp(k, "--max-files")) {
      if (!number(v, 1, &n) || n > 1000) return "bad --max-files";
      a.max_files = static_cast<int>(n);
    } else if (!strcmp(k, "--health-interval")) {
      if (!number(v, 0, &a.health_interval_ns)) return "bad --health-interval";
    } else if (!strcmp(k, "--health-timeout")) {
      if (!number(v, 1, &a.health_timeout_ns)) return "bad --health-timeout";
    } else {
      return "unknown flag";
    }
  }
  if (!a.berth || !a.root || !a.runroot || a.pid < 0) return "--berth, --root, --runroot and --pid are required";
  if (a.log_fd >= 0 && !a.log_path) return "--log-fd needs --log";
  if (a.attach_fd >= 0 && !a.attach_path) return "--attach-fd needs --attach-path";
  return nullptr;
}

}  // namespace berth::monitor
