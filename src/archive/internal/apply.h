// apply_layer with a chosen path resolver, so tests run every escape case through both the
// openat2 and the user-space walk implementations.
#pragma once

#include <string>

#include "archive/archive.h"
#include "archive/internal/safe_path.h"

namespace berth::archive::internal {

Result<ApplyResult> apply_layer_with(int in_fd, const std::string& dest, const ApplyOptions& opts,
                                     Resolver resolver);

}  // namespace berth::archive::internal
