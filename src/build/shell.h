// Dockerfile variable expansion: BuildKit's shell-word rules (a small, fixed subset of sh).
//
//  - `$name`, `${name}`; `${name:-word}` / `${name-word}` (default when unset or empty / unset),
//    `${name:+word}` / `${name+word}` (alternative when set and non-empty / set),
//    `${name:?msg}` / `${name?msg}` (error when unset[ or empty]); an unset name expands to "".
//  - Single quotes are literal; double quotes expand variables; the escape char outside quotes
//    takes the next char literally (`\$x` is "$x"), inside double quotes only before `"`, `$`
//    and the escape char itself.
//  - Quotes are removed. Words are split on unquoted blanks only by expand_words.
// Which instructions expand is the executor's choice (Docker's list: ADD COPY ENV EXPOSE FROM
// LABEL STOPSIGNAL USER VOLUME WORKDIR ARG ONBUILD-not, and the flags of COPY/ADD/FROM).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::build {

// Variable lookup: name -> value. Absent = unset.
using Vars = std::map<std::string, std::string>;

// Expands one word (quotes removed). kInvalidArgument for a bad substitution or `${x:?msg}`.
Result<std::string> expand_word(std::string_view word, const Vars& vars, char escape = '\\');
// Expands variables only (quotes and other escapes stay as they are), for heredoc bodies:
// `\$` is a literal '$'.
Result<std::string> expand_vars(std::string_view text, const Vars& vars, char escape = '\\');
// Splits on unquoted blanks, then expands each word (quotes removed).
Result<std::vector<std::string>> expand_words(std::string_view text, const Vars& vars,
                                              char escape = '\\');
// Splits on unquoted blanks without expanding or removing quotes (for `k=v` pairs).
std::vector<std::string> split_words(std::string_view text, char escape = '\\');

}  // namespace berth::build
