// The image history texts (created_by) the builder writes, as BuildKit's Dockerfile frontend
// writes them, so `berth history` reads like `docker history` on a BuildKit-built image. Most
// are Go fmt output of Go values (a []string with %v or %q, a struct with %q), reproduced here.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "oci/image.h"

namespace berth::engine::buildimpl {

// Go's %q of a string: "a \"b\"\n", with \a \b \f \n \r \t \v and \xNN for other control bytes.
std::string go_quote(const std::string& s);
// Go's %q of a []string: ["a" "b"] (CMD, ENTRYPOINT).
std::string quoted_list(const std::vector<std::string>& v);
// Go's %v of a []string: [a b] (VOLUME, SHELL).
std::string plain_list(const std::vector<std::string>& v);
// Go's time.Duration.String() of `ns`: "0s", "1.5s", "1m30s", "500ms", "2µs".
std::string go_duration(int64_t ns);
// "HEALTHCHECK &{["CMD-SHELL" "curl -f x"] "30s" "3s" "5s" "0s" '\x02'}": Go's %q of the
// health config struct (test, interval, timeout, start period, start interval, retries; the
// retry count is a rune to %q).
std::string healthcheck_created_by(const oci::HealthConfig& hc);
// "RUN |2 A=1 B= /bin/sh -c make": the stage's build args (name and value, in the order they
// were declared) before the command, as BuildKit records them.
std::string run_created_by(const std::vector<std::pair<std::string, std::string>>& args,
                           const std::vector<std::string>& argv);

}  // namespace berth::engine::buildimpl
