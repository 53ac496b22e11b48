#include "engine/seccomp_cache.h"

#include "base/fs.h"
#include "digest/digest.h"

namespace berth::engine {

Result<std::optional<runtime::CompiledSeccomp>> cached_seccomp(const std::string& cache_dir,
                                                               const oci::RuntimeSpec& spec) {
  if (!spec.linux || !spec.linux->seccomp) return std::optional<runtime::CompiledSeccomp>();
  BERTH_ASSIGN_OR_RETURN(auto profile, runtime::from_oci_seccomp(
                                           nlohmann::json::parse(spec.linux->seccomp->dump())));
  std::string key = runtime::seccomp_cache_key(profile) + "\narch " +
                    runtime::host_seccomp_target().arch;
  std::string path = path_join(cache_dir, digest::sha256_of(key).hex() + ".bpf");
  if (auto bytes = read_file(path); bytes.ok())
    if (auto c = runtime::decode_compiled_seccomp(*bytes); c.ok())
      return std::optional<runtime::CompiledSeccomp>(std::move(*c));
  BERTH_ASSIGN_OR_RETURN(auto compiled, runtime::compile_seccomp(profile));
  if (mkdir_all(cache_dir, 0700).ok())
    (void)atomic_write_file(path, runtime::encode_compiled_seccomp(compiled), 0600);
  return std::optional<runtime::CompiledSeccomp>(std::move(compiled));
}

}  // namespace berth::engine
