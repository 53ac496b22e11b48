// Go's fmt package over JSON values: Sprint, Sprintln, Sprintf and %v printing, with Go's
// verbs, flags, width/precision and its inline error forms ("%!d(string=x)", "%!s(MISSING)").
// Private to format.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "format/internal/value.h"

namespace berth::format::internal {

// fmt.Sprint(v) for one value: the form an action {{.}} prints.
std::string sprint_value(const json& v);

using Args = std::vector<const json*>;

std::string go_sprint(const Args& args);
std::string go_sprintln(const Args& args);
std::string go_sprintf(std::string_view format, const Args& args);

}  // namespace berth::format::internal
