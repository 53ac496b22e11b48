// Lexer for Go text/template syntax with the default delimiters "{{" and "}}".
// Produces the whole item list up front; the list ends with kEOF or with one kError item whose
// value is the message Go's lexer would give ("unclosed action", "bad character U+007D '}'").
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace berth::format::internal {

enum class ItemType {
  kError,
  kBool,
  kChar,  // a printable ASCII character that has no other meaning, e.g. ','
  kCharConstant,
  kAssign,   // =
  kDeclare,  // :=
  kEOF,
  kField,  // .Name
  kIdentifier,
  kLeftDelim,
  kLeftParen,
  kNumber,
  kPipe,
  kRawString,
  kRightDelim,
  kRightParen,
  kSpace,
  kString,
  kText,
  kVariable,  // $ or $name
  // Keywords: everything after kKeyword prints as <word> in messages.
  kKeyword,
  kBlock,
  kBreak,
  kContinue,
  kDefine,
  kDot,
  kElse,
  kEnd,
  kIf,
  kNil,
  kRange,
  kTemplate,
  kWith,
};

struct Item {
  ItemType type;
  size_t pos;
  std::string val;
  int line;
};

// Go's item.String(): EOF, the error text, <keyword>, or the quoted value.
std::string item_string(const Item& item);

std::vector<Item> lex(std::string_view input);

// Go's strconv.Unquote for "..." , `...` and '...' literals. Returns false on bad syntax.
bool unquote(std::string_view quoted, std::string& out);

}  // namespace berth::format::internal
