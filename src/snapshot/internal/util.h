// Digest checks with the snapshot module's error texts, on top of the digest module.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::snapshot::internal {

// kInvalidArgument 'invalid <what> "<d>": expected sha256:<64 lowercase hex digits>'.
Status check_digest(std::string_view d, std::string_view what);
// "sha256:<hex>" of data.
std::string sha256_digest(std::string_view data);

}  // namespace berth::snapshot::internal
