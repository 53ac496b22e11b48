// strconv.FormatFloat for the fmt printer and the json function. Private to format.
#pragma once

#include <string>

namespace berth::format::internal {

// strconv.FormatFloat(v, verb, prec, 64) for verbs 'e', 'E', 'f', 'g', 'G', 'x', 'X' and 'b';
// prec < 0 means the shortest representation that reads back exactly.
std::string format_float(double v, char verb, int prec);

}  // namespace berth::format::internal
