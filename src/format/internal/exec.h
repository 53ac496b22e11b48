// Executes a parsed template against JSON data with Go's text/template evaluation rules.
// Private to format.
#pragma once

#include <string>

#include "base/error.h"
#include "format/internal/ast.h"
#include "format/internal/value.h"

namespace berth::format::internal {

// Appends the output to `out`; on error `out` keeps what was written before it, as a Go writer
// would. `header_functions` selects Docker's HeaderFunctions (see functions.h).
Status execute_tree(const Tree& tree, const json& dot, bool header_functions, std::string& out);

}  // namespace berth::format::internal
