// The template function table: Go's builtins (and, or, not, eq, ne, lt, le, gt, ge, len, index,
// slice, print, printf, println, html, js, urlquery) and Docker's (json, split, join, title,
// lower, upper, pad, truncate). Private to format.
#pragma once

#include <string_view>
#include <vector>

#include "base/error.h"
#include "format/internal/value.h"

namespace berth::format::internal {

// How an argument is converted before a call, mirroring the Go parameter types.
enum class ParamKind {
  kValue,        // reflect.Value: a missing value stays missing
  kAny,          // interface{}: a missing value becomes nil
  kString,       // string
  kInt,          // int
  kStringSlice,  // []string: an array of strings, or nil
};

struct FuncSpec {
  std::vector<ParamKind> params;
  bool variadic = false;       // the last param repeats
  bool short_circuit = false;  // and/or: the executor evaluates arguments lazily
  // Errors come back as "error calling <name>: <message>".
  Result<Value> (*call)(const std::vector<Value>& args) = nullptr;
};

// The function named `name`, or null. `header` selects Docker's HeaderFunctions, under which
// json/split/join/title/lower/upper/truncate return their first argument unchanged, so a table
// header keeps its column titles.
const FuncSpec* find_function(std::string_view name, bool header);

}  // namespace berth::format::internal
