// Seeing a container's or an image's file system from the engine: the overlay is mounted in a
// child process's private mount namespace, so no mount ever lands on the host, and a crash of
// that child leaves nothing to clean up. A running container's root is reached through
// /proc/<pid>/root instead. Used by copy-up into new volumes, cp and export.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/error.h"

namespace berth::engine {

// Runs fn in a forked child that first unshares its mount namespace (recursively private), and
// returns fn's result (a short text, or the error's code and message, travel back through a
// pipe). The caller must be single-threaded (the CLI, a monitor). fn may mount freely and start
// threads; the mounts die with the child.
Result<std::string> in_private_mount_ns(const std::function<Result<std::string>()>& fn);

// Mounts the overlay of `lowerdirs` (top first) at `at`. With `upperdir` empty the mount is
// read-only (an extra empty lower is added, as overlay wants two lowers without an upper).
// Call only inside in_private_mount_ns.
Status mount_overlay(const std::vector<std::string>& lowerdirs, const std::string& upperdir,
                     const std::string& workdir, const std::string& at, const std::string& empty_dir);

// Copies the directory `path` of the image (layers `lowerdirs`, top first) into `dest`, an empty
// directory, keeping owners, modes, xattrs and times, as Docker fills a new volume. Nothing
// happens when the image has no directory there. `scratch` is an existing empty directory the
// helper may mount on (e.g. the container's rootfs dir).
Status copy_image_dir(const std::vector<std::string>& lowerdirs, const std::string& path,
                      const std::string& dest, const std::string& scratch);

}  // namespace berth::engine
