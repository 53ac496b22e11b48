#include "format/internal/text.h"

#include <cstdio>

namespace berth::format::internal {
namespace {

constexpr char kLowerHex[] = "0123456789abcdef";

struct Range {
  char32_t lo, hi;
};

bool in_ranges(char32_t r, const Range* ranges, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (r >= ranges[i].lo && r <= ranges[i].hi) return true;
  return false;
}

// Format characters, separators and private-use areas: the parts of Unicode that Go's IsPrint
// rejects and that show up in real data. Unassigned code points are not tracked.
constexpr Range kNotPrint[] = {
    {0x00AD, 0x00AD}, {0x0600, 0x0605},   {0x061C, 0x061C},    {0x180E, 0x180E}, {0x200B, 0x200F},
    {0x2028, 0x202E}, {0x2060, 0x206F},   {0xD800, 0xF8FF},    {0xFEFF, 0xFEFF}, {0xFFF9, 0xFFFB},
    {0xFFFE, 0xFFFF}, {0xE0000, 0xE007F}, {0xF0000, 0x10FFFF},
};

constexpr Range kZeroWidth[] = {
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x0610, 0x061A}, {0x064B, 0x065F},
    {0x200B, 0x200F}, {0x20D0, 0x20FF}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF},
};

constexpr Range kWide[] = {
    {0x1100, 0x115F}, {0x231A, 0x231B},   {0x2329, 0x232A},   {0x23E9, 0x23EC},   {0x2E80, 0x303E},
    {0x3041, 0x33FF}, {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},   {0xA960, 0xA97F},
    {0xAC00, 0xD7A3}, {0xF900, 0xFAFF},   {0xFE10, 0xFE19},   {0xFE30, 0xFE6F},   {0xFF00, 0xFF60},
    {0xFFE0, 0xFFE6}, {0x1F300, 0x1F64F}, {0x1F900, 0x1F9FF}, {0x20000, 0x3FFFD},
};

void append_escaped_rune(std::string& out, char32_t r, char quote, bool ascii_only) {
  if (r == static_cast<char32_t>(quote) || r == '\\') {
    out += '\\';
    out += static_cast<char>(r);
    return;
  }
  if (ascii_only ? (r < 0x80 && is_print(r)) : is_print(r)) {
    append_rune(out, r);
    return;
  }
  switch (r) {
    case '\a':
      out += "\\a";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\v':
      out += "\\v";
      return;
    default:
      break;
  }
  int digits;
  if (r < ' ' || r == 0x7F) {
    out += "\\x";
    digits = 2;
  } else if (r < 0x10000) {
    out += "\\u";
    digits = 4;
  } else {
    out += "\\U";
    digits = 8;
  }
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out += kLowerHex[(r >> shift) & 0xF];
}

}  // namespace

char32_t decode_rune(std::string_view s, size_t i, size_t& size) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  size = 1;
  if (c < 0x80) return c;
  size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
  if (n == 0 || c > 0xF4 || i + n > s.size()) return kRuneError;
  char32_t r = c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return kRuneError;
    r = (r << 6) | (b(k) & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are invalid, as in Go.
  if ((n == 3 && r < 0x800) || (n == 4 && (r < 0x10000 || r > 0x10FFFF)) ||
      (r >= 0xD800 && r <= 0xDFFF))
    return kRuneError;
  size = n;
  return r;
}

void append_rune(std::string& out, char32_t r) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = kRuneError;
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xC0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xE0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

size_t rune_count(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0, size = 0; i < s.size(); i += size, ++n) decode_rune(s, i, size);
  return n;
}

std::string_view rune_prefix(std::string_view s, size_t n) {
  size_t i = 0;
  for (size_t size = 0; i < s.size() && n > 0; i += size, --n) decode_rune(s, i, size);
  return s.substr(0, i);
}

bool is_print(char32_t r) {
  if (r < 0x80) return r >= 0x20 && r < 0x7F;
  if (r < 0xA0) return false;
  return !in_ranges(r, kNotPrint, std::size(kNotPrint));
}

bool is_alnum(char c) {
  auto u = static_cast<unsigned char>(c);
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         u >= 0x80;
}

std::string go_quote(std::string_view s, bool ascii_only) {
  std::string out = "\"";
  for (size_t i = 0, size = 0; i < s.size(); i += size) {
    char32_t r = decode_rune(s, i, size);
    if (r == kRuneError && size == 1) {
      out += "\\x";
      out += kLowerHex[static_cast<unsigned char>(s[i]) >> 4];
      out += kLowerHex[static_cast<unsigned char>(s[i]) & 0xF];
      continue;
    }
    append_escaped_rune(out, r, '"', ascii_only);
  }
  out += '"';
  return out;
}

std::string go_quote_rune(char32_t r, bool ascii_only) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = kRuneError;
  std::string out = "'";
  append_escaped_rune(out, r, '\'', ascii_only);
  out += '\'';
  return out;
}

std::string format_unicode(char32_t r, bool with_char) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(r));
  std::string out = buf;
  if (with_char && is_print(r)) {
    out += " '";
    append_rune(out, r);
    out += '\'';
  }
  return out;
}

size_t display_width(std::string_view s) {
  size_t width = 0;
  for (size_t i = 0, size = 0; i < s.size(); i += size) {
    char32_t r = decode_rune(s, i, size);
    if (r < 0x20 || (r >= 0x7F && r < 0xA0) || in_ranges(r, kZeroWidth, std::size(kZeroWidth)))
      continue;
    width += in_ranges(r, kWide, std::size(kWide)) ? 2 : 1;
  }
  return width;
}

}  // namespace berth::format::internal
