// A cache of compiled seccomp programs. libseccomp takes tens of milliseconds to compile Docker's
// default policy (three x86 ABIs, ~400 rules): most of the CPU time of `berth run` after the
// dynamic loader, paid again on every container start and build RUN step. The program depends
// only on runtime::seccomp_cache_key() (the resolved profile and libseccomp's version) and the
// native architecture, so it is kept under the digest of those in a directory of berth's root.
#pragma once
#include <optional>
#include <string>

#include "base/error.h"
#include "oci/runtime_spec.h"
#include "runtime/seccomp.h"

namespace berth::engine {

// The program for spec.linux.seccomp, read from `cache_dir` or compiled (and then stored there);
// nullopt when the spec has no seccomp filter. A cache file that cannot be read or decoded is
// compiled again and replaced; a failure to store is ignored (the next start compiles again).
// Errors: those of runtime::from_oci_seccomp and runtime::compile_seccomp.
Result<std::optional<runtime::CompiledSeccomp>> cached_seccomp(const std::string& cache_dir,
                                                               const oci::RuntimeSpec& spec);

}  // namespace berth::engine
