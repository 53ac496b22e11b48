// The json-file log of berth's small per-container monitor (berth-monitor), in plain C++ on
// libc only: no exceptions, no heap, no libstdc++. It writes what engine/logs.cc reads, in
// Docker's json-file format, one object a line:
//   {"log":"hello\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"}
// with Docker's string escaping (its jsonlog package: `"` `\` \n \r \t escaped, other control
// bytes and < > & as \u00XX, invalid UTF-8 as \ufffd, U+2028/2029 as \u2028/\u2029) and
// rotation at max_size into at most max_files files (path, path.1, ... path.<max_files-1>).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace berth::monitor {

// Docker's json-file splits a line longer than this into several records (the first ones
// without a newline).
constexpr size_t kMaxLine = 16384;

// The bytes json_escape writes for s[0..n) (at most 6 per input byte).
size_t escaped_size(const char* s, size_t n);
// Writes s[0..n) escaped as Docker does (without the quotes) to out, which must hold
// escaped_size(s, n) bytes; returns that size.
size_t json_escape(const char* s, size_t n, char* out);

// RFC 3339 with nanoseconds in UTC, trailing zeros of the fraction dropped (Go's
// time.RFC3339Nano, which Docker writes): "2024-05-01T10:00:00.1234Z". out holds >= 40 bytes;
// returns the length (without a NUL, which is written too).
size_t format_rfc3339_nano(int64_t seconds, long nanos, char* out);

// v in decimal into out (>= 24 bytes, NUL-terminated); returns the length.
size_t format_decimal(int64_t v, char* out);

// "<path>.<n>" into out (NUL-terminated); false when it does not fit.
bool rotated_name(const char* path, int n, char* out, size_t cap);

struct LogFile {
  int fd = -1;
  const char* path = nullptr;
  uint64_t size = 0;      // bytes in the current file
  uint64_t max_size = 10 * 1000 * 1000;
  int max_files = 3;
};

// Appends one record of `line` (a whole line with its newline, or a piece of a long one) on
// `stream` ("stdout"/"stderr") stamped with the given time, rotating first when the record
// would take the file past max_size (a record is never split between two files). Returns 0,
// or -1 with errno.
int log_record(LogFile& log, const char* stream, const char* line, size_t n, int64_t seconds,
               long nanos);
// The same, stamped now (CLOCK_REALTIME).
int log_record_now(LogFile& log, const char* stream, const char* line, size_t n);
// path.<max-2> -> path.<max-1>, ..., path -> path.1, then a new empty path (O_CLOEXEC).
int log_rotate(LogFile& log);

// One output stream of the container: bytes are read straight into buf, and every complete
// line (or kMaxLine bytes without a newline) becomes a record.
struct LineBuffer {
  const char* name = "stdout";
  char buf[kMaxLine];
  size_t len = 0;
};

// Records every complete line of b (and with `all`, the unterminated rest too), keeping the rest
// at the start of b.buf. A full buffer without a newline is recorded as it is, as Docker does.
int emit_lines(LineBuffer& b, LogFile& log, bool all);

}  // namespace berth::monitor
