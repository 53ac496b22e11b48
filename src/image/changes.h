// Dockerfile-style `--change` lines for `import` and `commit` (CMD, ENTRYPOINT, ENV, EXPOSE,
// LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR), applied to an image's run config.
#pragma once

#include <string_view>

#include "base/error.h"
#include "oci/image.h"

namespace berth::image {

// Applies one change line. Errors name the instruction, as Docker's do:
// `FOO is not a valid change command`.
Status apply_change(oci::RunConfig& rc, std::string_view line);

// Splits "k=v k2=\"v 2\"" (ENV/LABEL) or the legacy "k v" form into pairs.
Result<std::vector<std::pair<std::string, std::string>>> parse_key_values(std::string_view args,
                                                                          bool allow_legacy);

}  // namespace berth::image
