#include "engine/engine.h"
#include "runtime/seccomp.h"

#include <sys/file.h>
#include <fcntl.h>

#include "base/fs.h"
#include "image/reference.h"

namespace berth::engine {

std::string familiar(const std::string& full_ref) {
  auto r = image::parse_normalized_named(full_ref);
  return r.ok() ? r->familiar_string() : full_ref;
}

Result<std::unique_ptr<Engine>> Engine::open(const Options& opts) {
  std::unique_ptr<Engine> e(new Engine(opts));
  BERTH_ASSIGN_OR_RETURN(e->store_, image::Store::open(opts.root));
  // Compiling Docker's seccomp policy costs more than the rest of a container start; the
  // compiled program is kept per run root (a tmpfs on most hosts: gone at reboot, rebuilt once).
  runtime::set_seccomp_cache_dir(path_join(opts.runroot, "seccomp"));
  return e;
}

Engine::~Engine() = default;

Result<UniqueFd> Engine::lock_store(bool exclusive) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd,
                         open_file(path_join(opts_.root, "store.lock"), O_RDWR | O_CREAT, 0600));
  while (::flock(fd.get(), exclusive ? LOCK_EX : LOCK_SH) < 0) {
    if (errno != EINTR) return sys_error("locking the store");
  }
  return fd;
}

}  // namespace berth::engine
