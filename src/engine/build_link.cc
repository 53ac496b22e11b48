#include "engine/build_link.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "base/fs.h"
#include "base/strings.h"
#include "digest/digest.h"

namespace berth::engine::buildimpl {
namespace {

constexpr std::string_view kMagic = "berth-copy-manifest-v1";

// The body: one "<digest> <path>\n" per file, sorted, so equal layers give equal files.
std::string body_of(const std::unordered_map<std::string, std::string>& digests) {
  std::vector<const std::pair<const std::string, std::string>*> rows;
  rows.reserve(digests.size());
  for (const auto& kv : digests) rows.push_back(&kv);
  std::sort(rows.begin(), rows.end(), [](auto* a, auto* b) { return a->first < b->first; });
  std::string out;
  out.reserve(digests.size() * 100);
  for (const auto* r : rows) {
    out += r->second;
    out += ' ';
    out += r->first;
    out += '\n';
  }
  return out;
}

}  // namespace

std::optional<CopyManifest> CopyManifest::load(const std::string& file) {
  auto text = read_file(file);
  if (!text.ok()) return std::nullopt;
  // "<magic> <chain> <sha256 of the body>\n<body>"
  std::string_view t = *text;
  size_t nl = t.find('\n');
  if (nl == std::string_view::npos) return std::nullopt;
  auto head = split(std::string(t.substr(0, nl)), ' ');
  std::string_view body = t.substr(nl + 1);
  if (head.size() != 3 || head[0] != kMagic) return std::nullopt;
  digest::Sha256 h;
  h.update(body);
  if (h.finish().str() != head[2]) return std::nullopt;
  CopyManifest m;
  m.chain = head[1];
  while (!body.empty()) {
    size_t end = body.find('\n');
    std::string_view line = body.substr(0, end);
    body = end == std::string_view::npos ? std::string_view() : body.substr(end + 1);
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos || sp == 0 || sp + 1 == line.size()) return std::nullopt;
    m.digests.emplace(std::string(line.substr(sp + 1)), std::string(line.substr(0, sp)));
  }
  return m;
}

Status CopyManifest::save(const std::string& file) const {
  std::string body = body_of(digests);
  digest::Sha256 h;
  h.update(body);
  std::string text = std::string(kMagic) + " " + chain + " " + h.finish().str() + "\n" + body;
  BERTH_TRY(mkdir_all(dirname(file), 0700));
  std::string tmp = file + ".tmp-" + std::to_string(::getpid());
  BERTH_TRY(write_file_unsynced(tmp, text, 0600));
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    errno = e;
    return sys_error("rename " + tmp);
  }
  return {};
}

bool CopyLinks::link(int donor_dir, const char* name, const std::string& rel,
                     std::string_view digest, const struct stat& src, uint32_t uid, uint32_t gid,
                     uint32_t perm, int dfd, const char* dname) {
  if (donor_dir < 0 || !donor_manifest) return false;
  auto it = donor_manifest->digests.find(rel);
  if (it == donor_manifest->digests.end() || it->second != digest) return false;
  struct stat d;
  if (::fstatat(donor_dir, name, &d, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(d.st_mode) ||
      d.st_uid != uid || d.st_gid != gid || (d.st_mode & 07777) != perm ||
      d.st_size != src.st_size || d.st_mtim.tv_sec != src.st_mtim.tv_sec ||
      d.st_mtim.tv_nsec != src.st_mtim.tv_nsec)
    return false;
  // ext4 allows 65000 links to an inode: past that (EMLINK), or on any other error, copy.
  if (::linkat(donor_dir, name, dfd, dname, 0) != 0) {
    if (errno != EEXIST) return false;
    ::unlinkat(dfd, dname, 0);  // an earlier source of this step wrote it
    if (::linkat(donor_dir, name, dfd, dname, 0) != 0) return false;
  }
  ++linked;
  return true;
}

bool LayerLinks::in_chain(const std::string& path) const {
  for (const auto& d : chain)
    if (path == d || (path.size() > d.size() && path.compare(0, d.size(), d) == 0 &&
                      path[d.size()] == '/'))
      return true;
  return false;
}

bool LayerLinks::link(int sfd, const char* sname, int in, const struct stat& src, uint32_t uid,
                      uint32_t gid, uint32_t perm, int dfd, const char* dname) {
  if (!S_ISREG(src.st_mode) || src.st_uid != uid || src.st_gid != gid ||
      (src.st_mode & 07777) != perm)
    return false;
  // Only an inode no other layer shares yet: so no chain can ever hold two layers with paths
  // on it (the source's is kept out by in_chain, and a second link is refused here).
  struct stat now;
  if (::fstat(in, &now) != 0 || now.st_nlink != 1) return false;
  char names[1];
  ssize_t n = ::flistxattr(in, names, 0);
  if (n != 0) return false;  // attributes (or an error reading them): copied as a copy would
  auto id = std::make_pair(static_cast<uint64_t>(src.st_dev), static_cast<uint64_t>(src.st_ino));
  if (inodes.count(id)) return false;
  if (::linkat(sfd, sname, dfd, dname, 0) != 0) {
    if (errno != EEXIST) return false;  // EMLINK, EXDEV...: copy
    ::unlinkat(dfd, dname, 0);          // an earlier source of this step wrote it
    if (::linkat(sfd, sname, dfd, dname, 0) != 0) return false;
  }
  inodes.insert(id);
  ++linked;
  return true;
}

int open_dir_beneath(int root_fd, const std::string& rel) {
  int fd = ::openat(root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  for (const auto& part : split(rel, '/')) {
    if (fd < 0) return -1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      ::close(fd);
      return -1;
    }
    int next = ::openat(fd, part.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    ::close(fd);
    fd = next;
  }
  return fd;
}

}  // namespace berth::engine::buildimpl
