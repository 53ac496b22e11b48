// Image layers as tar streams: safe extraction (apply) and deterministic creation (export).
//
// Layer tars follow the OCI image-spec "changeset" format: whiteouts are `.wh.<name>` files and an
// opaque directory is marked by a `.wh..wh..opq` file inside it. On disk, berth keeps layers in
// overlayfs form: a whiteout is a 0/0 character device and an opaque directory carries the xattr
// trusted.overlay.opaque=y. apply_layer converts tar -> overlay form, export_layer overlay -> tar.
//
// Digests are "sha256:<64 hex>" strings. Tar-level helpers (TarReader, TarWriter) are in
// archive/tar.h. All functions are thread-compatible (no shared state besides read-only tables).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::archive {

// The stream compressions berth knows. apply_layer and TarReader read all of them; export_layer
// and TarWriter write kNone, kGzip and kZstd (the others give kUnimplemented).
enum class Compression { kNone, kGzip, kZstd, kXz, kBzip2 };

// Detects the compression from a stream's first bytes (10 are enough); kNone when no magic matches.
Compression detect_compression(std::string_view magic);
// "none", "gzip", "zstd", "xz", "bzip2".
std::string_view compression_name(Compression c);

struct ApplyOptions {
  // true: whiteouts become overlayfs whiteouts (a 0/0 char device; needs CAP_MKNOD before
  // Linux 5.8) and `.wh..wh..opq` sets trusted.overlay.opaque=y on its directory (needs
  // CAP_SYS_ADMIN). Without the privilege the error is kPermissionDenied.
  // false ("flatten" onto a directory holding the layers below): `.wh.<name>` deletes <name> and
  // `.wh..wh..opq` deletes what the directory held before this layer (this layer's entries stay,
  // whatever their order in the tar).
  bool overlay_whiteouts = true;
  // Character and block devices are created with mknod; false refuses them (kInvalidArgument).
  // FIFOs are always allowed.
  bool allow_devices = true;
  // lchown every entry to the tar's uid/gid; false leaves the extracting user as owner.
  bool keep_ownership = true;
};

struct ApplyResult {
  std::string diff_id;  // sha256 of the whole uncompressed tar stream
  uint64_t size = 0;    // bytes of regular-file content written
};

// Reads a tar stream (plain, gzip, zstd, xz or bzip2: detected from its first bytes) from in_fd
// and extracts it under dest, an existing directory. The fd is read to its end (the diff_id
// covers everything after the tar's end marker too).
//
// Safety: nothing is ever created outside dest.
//  - Names are cleaned lexically; absolute names are taken relative to dest (as Docker does:
//    "/etc/x" lands in dest/etc/x); a name whose ".." climbs above dest is refused:
//    `invalid tar entry "../x": path escapes the layer root` (kInvalidArgument).
//  - Parent directories are resolved with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
//    (or an equivalent user-space walk on kernels without openat2): symlinks in a parent are
//    followed as if dest were "/", so `link -> /etc` then `link/passwd` writes dest/etc/passwd,
//    and `link -> ../..` then `link/x` writes dest/x. A parent that is not a directory, or a
//    symlink to a missing directory, is refused. Missing parents are created with mode 0755.
//  - The final component is created with *at() calls that never follow it; whatever exists
//    there is removed first, unless both are directories (the existing one is kept).
//  - Symlink targets are stored verbatim (absolute or escaping targets are legal in images).
//  - Hard link targets are cleaned and resolved the same way and must already exist.
//  - xattrs in the overlay namespaces (trusted.overlay.*, user.overlay.*) are dropped: only
//    whiteout conversion may create them. Other xattrs are set; ENOTSUP/EPERM are logged, not
//    fatal (not every file system takes every namespace), as Docker does. xattrs of symlinks and
//    device nodes are set through /proc/self/fd, which must be mounted.
//  - Flatten mode's opaque markers keep this layer's entries by their cleaned names; an entry
//    reached through a symlinked parent is kept under the name it had in the tar.
// Metadata: owner (lchown, before the mode so setuid bits survive), mode, xattrs, mtime (with
// AT_SYMLINK_NOFOLLOW). Directory modes and mtimes are set after all entries are extracted.
// Errors name the entry: `extracting "dev/null": mknod: Operation not permitted`. A corrupt or
// truncated stream is an error; dest is then left half-written for the caller to remove.
Result<ApplyResult> apply_layer(int in_fd, const std::string& dest, const ApplyOptions& opts = {});

struct ExportOptions {
  Compression compression = Compression::kGzip;
  // Convert overlay whiteouts (0/0 char devices, trusted.overlay.opaque=y) to `.wh.` files;
  // false exports devices as devices and ignores the opaque xattr.
  bool overlay_whiteouts = true;
  // SOURCE_DATE_EPOCH: mtimes later than this are clamped to it.
  std::optional<int64_t> clamp_mtime;
  // zstd worker threads; 0 = all cores. The output does not depend on this number.
  int threads = 0;
  // Paths (relative, clean: "etc/hosts") left out, with everything below them.
  std::vector<std::string> exclude;
};

struct ExportResult {
  std::string diff_id;  // sha256 of the uncompressed tar
  std::string digest;   // sha256 of the bytes written to the fd
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  // export_layer only: entries written, and bytes of regular-file content (each inode once, as
  // disk_usage counts them), so a caller that needs the tree's size does not walk it again.
  uint64_t entries = 0;
  uint64_t file_bytes = 0;
};

// Writes the tree under dir as a tar to out_fd. Deterministic: the same tree gives the same
// bytes (entries sorted by name per directory, pax headers only where ustar cannot hold a value,
// mtimes in whole seconds, no user/group names, no atime/ctime, gzip header without name or
// time, zstd always in its multi-threaded framing whatever `threads` is).
// Entry names are relative ("bin/", "bin/ls"); dir itself is not an entry. Hard links (same
// inode, nlink > 1) become link entries to the first name in that order. Sockets are skipped.
// xattrs are kept except trusted.overlay.*, user.overlay.* and security.selinux (host-specific).
Result<ExportResult> export_layer(const std::string& dir, int out_fd,
                                  const ExportOptions& opts = {});

// Paths inside a container's root, for `cp` and `export`: every path is resolved as if root_fd
// were "/" (symlinks in parents followed but never out of the root, ".." stopping at the root,
// /proc magic links refused), so a hostile container cannot point berth at a host file.

// The path with its final symlinks (if any) resolved inside the root: a clean path relative to
// the root ("" is the root). kNotFound when something on the way is missing.
Result<std::string> resolve_in_root(int root_fd, std::string_view path);

// Opens the directory `path` below root_fd (resolved as above) as an O_PATH fd.
Result<UniqueFd> open_dir_in_root(int root_fd, std::string_view path);

// Writes `path` below root_fd (a file, a symlink itself, or a directory with everything below
// it) as a tar whose top entry is named `as`. Nothing is followed out of the root; with
// follow_final a final symlink is resolved first (`cp -L`).
Result<ExportResult> export_path(int root_fd, std::string_view path, std::string_view as,
                                 int out_fd, const ExportOptions& opts, bool follow_final);

}  // namespace berth::archive
