// --userns: which host ids a container's user namespace maps (runtime/userns.h does the rest).
//   host (or empty)    no user namespace, as Docker without userns-remap;
//   auto[:size=N]      a range of N ids (default 65536) of its own, so that no two containers
//                      share host uids: one that escapes finds nothing of another's. The ranges
//                      come from /etc/subuid's and /etc/subgid's "berth" entry when there is
//                      one, else from 2^30 upwards (above any uid a distribution hands out).
// Docker maps every container to one daemon-wide range (userns-remap), and only for the whole
// daemon; podman's --userns=auto is the model here.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "engine/engine.h"
#include "oci/runtime_spec.h"

namespace berth::engine {

struct UsernsRange {
  uint32_t start = 0;
  uint32_t count = 0;
};

// "auto" / "auto:size=N" -> N; "" and "host" -> 0; anything else is Docker's invalid mode.
Result<uint32_t> parse_userns_mode(const std::string& mode);

// The berth entry of a /etc/subuid-format text, or the default pool.
UsernsRange userns_pool(const std::string& subid_text);

// A free block of `size` ids in `pool` for container `id`, avoiding `used` (start, size) pairs:
// the search starts at a slot chosen by the id's hash, so concurrent creates rarely collide.
Result<uint32_t> pick_userns_block(const UsernsRange& pool, uint32_t size, const std::string& id,
                                   const std::vector<UsernsRange>& used);

struct UsernsMaps {
  std::vector<oci::IdMapping> uid, gid;  // empty: no user namespace
  UsernsRange host_uids;                 // what the container record keeps ("UsernsRange")
};

// For a create: the mappings for --userns `mode`, clear of the ranges the existing containers
// hold (their configs' "UsernsRange").
Result<UsernsMaps> allocate_userns(Engine& e, const std::string& id, const std::string& mode);

}  // namespace berth::engine
