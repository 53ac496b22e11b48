#include "monitor/json_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>  // rename
#include <string.h>
#include <time.h>
#include <unistd.h>

namespace berth::monitor {
namespace {

const char kHex[] = "0123456789abcdef";

// Bytes below 0x80 written as they are: printable ASCII except the two JSON must-escapes and
// the three that Go's encoder escapes for HTML (Docker's log lines carry them as \u003c ...).
bool plain(unsigned char c) {
  return c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&';
}

bool cont(unsigned char c) { return c >= 0x80 && c <= 0xbf; }

// The length of the valid UTF-8 sequence at s (as Go's utf8.DecodeRune accepts it: no overlong
// forms, no surrogates, nothing past U+10FFFF), or 0 when the byte at s starts none. *rune gets
// the code point.
size_t utf8_sequence(const unsigned char* s, size_t n, unsigned* rune) {
  unsigned char c = s[0];
  if (c >= 0xc2 && c <= 0xdf) {
    if (n < 2 || !cont(s[1])) return 0;
    *rune = (c & 0x1fu) << 6 | (s[1] & 0x3fu);
    return 2;
  }
  if (c >= 0xe0 && c <= 0xef) {
    unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    if (n < 3 || s[1] < lo || s[1] > hi || !cont(s[2])) return 0;
    *rune = (c & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 | (s[2] & 0x3fu);
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    if (n < 4 || s[1] < lo || s[1] > hi || !cont(s[2]) || !cont(s[3])) return 0;
    *rune = (c & 0x07u) << 18 | (s[1] & 0x3fu) << 12 | (s[2] & 0x3fu) << 6 | (s[3] & 0x3fu);
    return 4;
  }
  return 0;
}

// Walks s once; with out == nullptr it only counts.
size_t escape(const char* in, size_t n, char* out) {
  const auto* s = reinterpret_cast<const unsigned char*>(in);
  size_t o = 0;
  auto put = [&](const char* text, size_t len) {
    if (out) memcpy(out + o, text, len);
    o += len;
  };
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    if (c < 0x80) {
      if (plain(c)) {
        put(reinterpret_cast<const char*>(s + i), 1);
      } else if (c == '"' || c == '\\') {
        char e[2] = {'\\', static_cast<char>(c)};
        put(e, 2);
      } else if (c == '\n') {
        put("\\n", 2);
      } else if (c == '\r') {
        put("\\r", 2);
      } else if (c == '\t') {
        put("\\t", 2);
      } else {
        char e[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
        put(e, 6);
      }
      ++i;
      continue;
    }
    unsigned rune = 0;
    size_t len = utf8_sequence(s + i, n - i, &rune);
    if (len == 0) {
      put("\\ufffd", 6);  // one replacement per invalid byte, as Go's decoder steps
      ++i;
    } else if (rune == 0x2028 || rune == 0x2029) {
      char e[6] = {'\\', 'u', '2', '0', '2', kHex[rune & 0xf]};
      put(e, 6);
      i += len;
    } else {
      put(reinterpret_cast<const char*>(s + i), len);
      i += len;
    }
  }
  return o;
}

// The largest record: the fixed parts, a time, and a whole line escaped at 6 bytes a byte.
constexpr size_t kRecordMax = 64 + 40 + 6 * kMaxLine;
char g_record[kRecordMax];

int write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return -1;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return 0;
}

}  // namespace

size_t escaped_size(const char* s, size_t n) { return escape(s, n, nullptr); }

size_t json_escape(const char* s, size_t n, char* out) { return escape(s, n, out); }

size_t format_rfc3339_nano(int64_t seconds, long nanos, char* out) {
  // Howard Hinnant's days-to-civil: no gmtime, so no time zone code is linked in.
  int64_t days = seconds / 86400, sod = seconds % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  days += 719468;
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  int64_t doe = days - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t day = doy - (153 * mp + 2) / 5 + 1;
  int64_t month = mp < 10 ? mp + 3 : mp - 9;
  int64_t year = yoe + era * 400 + (month <= 2);
  size_t o = 0;
  auto digits = [&](int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) {
      out[o + static_cast<size_t>(i)] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    o += static_cast<size_t>(width);
  };
  digits(year, 4);
  out[o++] = '-';
  digits(month, 2);
  out[o++] = '-';
  digits(day, 2);
  out[o++] = 'T';
  digits(sod / 3600, 2);
  out[o++] = ':';
  digits(sod / 60 % 60, 2);
  out[o++] = ':';
  digits(sod % 60, 2);
  if (nanos > 0 && nanos < 1000000000) {
    out[o++] = '.';
    digits(nanos, 9);
    while (out[o - 1] == '0') --o;
  }
  out[o++] = 'Z';
  out[o] = 0;
  return o;
}

size_t format_decimal(int64_t v, char* out) {
  char tmp[24];
  size_t n = 0;
  bool neg = v < 0;
  uint64_t u = neg ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  do {
    tmp[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u > 0);
  size_t o = 0;
  if (neg) out[o++] = '-';
  while (n > 0) out[o++] = tmp[--n];
  out[o] = 0;
  return o;
}

bool rotated_name(const char* path, int n, char* out, size_t cap) {
  size_t len = strlen(path);
  char num[24];
  size_t nl = format_decimal(n, num);
  if (len + 1 + nl + 1 > cap) return false;
  memcpy(out, path, len);
  out[len] = '.';
  memcpy(out + len + 1, num, nl + 1);
  return true;
}

int log_rotate(LogFile& log) {
  char from[4096], to[4096];
  for (int i = log.max_files - 1; i >= 1; --i) {
    if (!rotated_name(log.path, i, to, sizeof to)) return -1;
    if (i == 1) {
      if (strlen(log.path) >= sizeof from) return -1;
      strcpy(from, log.path);
    } else if (!rotated_name(log.path, i - 1, from, sizeof from)) {
      return -1;
    }
    ::rename(from, to);  // a missing older file is fine
  }
  int fd = ::open(log.path, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return -1;
  if (log.fd >= 0) ::close(log.fd);
  log.fd = fd;
  log.size = 0;
  return 0;
}

int log_record(LogFile& log, const char* stream, const char* line, size_t n, int64_t seconds,
               long nanos) {
  if (n > kMaxLine) n = kMaxLine;  // callers split; never overrun the record buffer
  static const char kHead[] = "{\"log\":\"";
  size_t o = 0;
  memcpy(g_record, kHead, sizeof kHead - 1);
  o += sizeof kHead - 1;
  o += json_escape(line, n, g_record + o);
  auto put = [&](const char* text) {
    size_t len = strlen(text);
    memcpy(g_record + o, text, len);
    o += len;
  };
  put("\",\"stream\":\"");
  put(strncmp(stream, "stderr", 7) == 0 ? "stderr" : "stdout");
  put("\",\"time\":\"");
  o += format_rfc3339_nano(seconds, nanos, g_record + o);
  memcpy(g_record + o, "\"}\n", 3);
  o += 3;
  if (log.size > 0 && log.size + o > log.max_size && log_rotate(log) < 0) return -1;
  if (write_all(log.fd, g_record, o) < 0) return -1;
  log.size += o;
  return 0;
}

int log_record_now(LogFile& log, const char* stream, const char* line, size_t n) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return log_record(log, stream, line, n, ts.tv_sec, ts.tv_nsec);
}

int emit_lines(LineBuffer& b, LogFile& log, bool all) {
  size_t start = 0;
  int rc = 0;
  for (size_t i = 0; i < b.len; ++i) {
    if (b.buf[i] != '\n') continue;
    if (log_record_now(log, b.name, b.buf + start, i + 1 - start) < 0) rc = -1;
    start = i + 1;
  }
  if (start < b.len && (all || (start == 0 && b.len == kMaxLine))) {
    if (log_record_now(log, b.name, b.buf + start, b.len - start) < 0) rc = -1;
    start = b.len;
  }
  memmove(b.buf, b.buf + start, b.len - start);
  b.len -= start;
  return rc;
}

}  // namespace berth::monitor
