// The Dockerfile parser: text to a list of instructions, each with its source lines. Pure (no
// I/O); variable expansion is shell.h's business and happens later, per instruction, because
// what a variable holds depends on the stage being built.
//
// What it follows (BuildKit's dockerfile/parser):
//  - Parser directives (`# syntax=...`, `# escape=\` or `` ` ``) only in the leading comment
//    block; the first blank line, other comment or instruction ends it.
//  - Comment lines (first non-blank char '#') are dropped everywhere, also in the middle of a
//    continued instruction; blank lines inside a continuation are skipped.
//  - A line whose last non-blank char is the escape char continues on the next line (the escape
//    is removed and the lines are joined without a newline).
//  - Keywords are case-insensitive. Flags (`--from=x`) come first, for the instructions that
//    take them; the rest is the JSON (exec) form when it is a JSON array of strings, else the
//    shell form.
//  - Heredocs (`RUN <<EOF`, `RUN <<-EOF`, `COPY <<"EOF" /file`) on RUN, COPY and ADD: the body is
//    the lines up to the terminator; `<<-` strips leading tabs; a quoted word turns expansion off.
// Errors read like Docker's: `dockerfile parse error on line 3: unknown instruction: FOO`.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::build {

struct Heredoc {
  std::string name;     // the terminator word
  std::string content;  // the body, each line with its '\n'
  bool expand = true;   // false when the word was quoted
  bool strip_tabs = false;
};

struct Instruction {
  std::string keyword;   // lower case: "run"
  std::string original;  // as written, continuations joined: "RUN --mount=... cat /x"
  std::vector<std::string> flags;  // "--from=build", as written, before expansion
  std::string args;                // the text after the flags, trimmed
  bool json = false;               // args was a JSON array of strings: exec form
  std::vector<std::string> json_args;
  std::vector<Heredoc> heredocs;
  int line = 0;      // first line (1-based)
  int end_line = 0;  // last line, heredoc bodies included
};

struct Dockerfile {
  std::string syntax;  // the `# syntax=` directive, if any
  char escape = '\\';
  std::vector<Instruction> instructions;
};

// Parses a whole Dockerfile. kInvalidArgument with Docker's wording for unknown instructions,
// bad directives, an unterminated heredoc, a file without instructions.
Result<Dockerfile> parse_dockerfile(std::string_view text);

// The flag value of `--name=value` among flags, nullopt when absent. A bare `--name` gives "".
std::optional<std::string> flag_value(const std::vector<std::string>& flags,
                                      std::string_view name);
// Checks every flag is one of `allowed` (names without "--"); Docker's error otherwise:
// `dockerfile parse error on line 4: unknown flag: frm`.
Status check_flags(const Instruction& ins, std::initializer_list<std::string_view> allowed);

// "dockerfile parse error on line N: <what>".
Error parse_error(int line, std::string_view what);

}  // namespace berth::build
