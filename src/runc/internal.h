// Pieces of berth-runc shared by its commands.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"
#include "oci/runtime_spec.h"
#include "runtime/cgroup.h"

namespace berth::runc {

// linux.resources of a spec as berth's cgroup resources, plus the device rules runc always adds.
runtime::Resources resources_from_spec(const oci::RuntimeSpec& spec);
// The cgroup name for linux.cgroupsPath: "/default/x" -> "default/x"; systemd's "slice:prefix:name"
// -> "<slice>/<prefix>-<name>.scope" (berth-runc drives cgroupfs itself, also with
// --systemd-cgroup); empty -> "berth-runc/<id>". ".." is refused.
Result<std::string> cgroup_name(const std::string& cgroups_path, const std::string& id);

// Sends `fd` over the unix socket at `path` with SCM_RIGHTS, as runc hands the pty master to
// --console-socket (conmon, containerd-shim).
Status send_console(const std::string& path, int fd);

}  // namespace berth::runc
