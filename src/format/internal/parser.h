// Parser for Go text/template: items from the lexer to the tree in ast.h, with Go's checks
// (undefined functions and variables, misplaced else/end/break) and Go's messages:
// "template: :<line>: <what>".
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "base/error.h"
#include "format/internal/ast.h"

namespace berth::format::internal {

// `has_function` says whether an identifier names a function; others fail to parse with
// `function "foo" not defined` as in Go.
Result<std::unique_ptr<ListNode>> parse_template(
    std::string_view text, const std::function<bool(std::string_view)>& has_function);

}  // namespace berth::format::internal
