// UTF-8 and quoting helpers shared by the lexer, fmt and tabwriter code. Private to format.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace berth::format::internal {

constexpr char32_t kRuneError = 0xFFFD;

// Decodes the rune at s[i]; `size` receives its byte length (1 for an invalid byte, which
// decodes as kRuneError, as Go's utf8.DecodeRuneInString does).
char32_t decode_rune(std::string_view s, size_t i, size_t& size);
void append_rune(std::string& out, char32_t r);
size_t rune_count(std::string_view s);
// The first `n` runes of s (all of s if it is shorter).
std::string_view rune_prefix(std::string_view s, size_t n);

// Go's unicode.IsPrint, approximated outside Latin-1 (see text.cc).
bool is_print(char32_t r);
// Go's template whitespace: space, tab, CR, LF.
inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
// Letters, digits and '_'; any non-ASCII byte counts as a letter (Go allows Unicode letters).
bool is_alnum(char c);

// strconv.Quote; ascii_only gives strconv.QuoteToASCII (fmt's %+q).
std::string go_quote(std::string_view s, bool ascii_only = false);
// strconv.QuoteRune (fmt's %q on an integer).
std::string go_quote_rune(char32_t r, bool ascii_only = false);
// fmt's %#U: "U+007D '}'".
std::string format_unicode(char32_t r, bool with_char);

// Terminal cell width of a string as go-runewidth computes it: East Asian wide runes count 2,
// combining marks and control characters 0.
size_t display_width(std::string_view s);

}  // namespace berth::format::internal
