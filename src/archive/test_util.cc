#include "archive/test_util.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>

#include "archive/internal/safe_path.h"

namespace berth::archive::testing {

MemFile::MemFile() : fd_(memfd_create("archive-test", MFD_CLOEXEC)) {
  if (!fd_) ADD_FAILURE() << "memfd_create failed";
}

MemFile::MemFile(std::string_view content) : MemFile() {
  EXPECT_TRUE(write_all(fd(), content).ok());
  rewind();
}

void MemFile::rewind() const { ::lseek(fd_.get(), 0, SEEK_SET); }

std::string MemFile::contents() const {
  rewind();
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd_.get(), buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  rewind();
  return out;
}

std::string make_tar(const std::function<void(TarWriter&)>& build, Compression compression) {
  MemFile out;
  auto writer = TarWriter::open(out.fd(), compression);
  EXPECT_TRUE(writer.ok()) << writer.error().message();
  build(*writer);
  auto result = writer->finish();
  EXPECT_TRUE(result.ok()) << result.error().message();
  return out.contents();
}

std::vector<TarEntry> entries(const std::string& tar) {
  MemFile in(tar);
  std::vector<TarEntry> out;
  Status s = for_each_entry(in.fd(), [&](const TarEntry& e, TarReader&) {
    out.push_back(e);
    return ok_status();
  });
  EXPECT_TRUE(s.ok()) << s.error().message();
  return out;
}

std::vector<std::string> entry_names(const std::string& tar) {
  std::vector<std::string> names;
  for (const TarEntry& e : entries(tar)) names.push_back(e.name);
  return names;
}

std::string sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  std::string out = "sha256:";
  char hex[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(hex, sizeof(hex), "%02x", md[i]);
    out += hex;
  }
  return out;
}

std::string gzip(std::string_view data) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

void write_file(const std::string& path, std::string_view content, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  ASSERT_TRUE(fd.valid()) << path;
  ASSERT_TRUE(write_all(fd.get(), content).ok());
  ASSERT_EQ(::fchmod(fd.get(), mode), 0);
}

std::string read_whole(const std::string& path) {
  auto r = read_file(path);
  EXPECT_TRUE(r.ok()) << path;
  return r.ok() ? *r : "";
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

void set_mtime(const std::string& path, int64_t seconds) {
  struct timespec t[2] = {{static_cast<time_t>(seconds), 0}, {static_cast<time_t>(seconds), 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), t, AT_SYMLINK_NOFOLLOW), 0) << path;
}

std::string get_xattr(const std::string& path, const std::string& name) {
  char buf[4096];
  ssize_t n = ::lgetxattr(path.c_str(), name.c_str(), buf, sizeof(buf));
  return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

namespace {

std::string xattr_list(const std::string& path) {
  char names[4096];
  ssize_t n = ::llistxattr(path.c_str(), names, sizeof(names));
  std::vector<std::string> all;
  for (ssize_t i = 0; i < n;) {
    std::string name(names + i);
    i += static_cast<ssize_t>(name.size()) + 1;
    all.push_back(name + "=" + get_xattr(path, name));
  }
  std::sort(all.begin(), all.end());
  std::string out;
  for (const auto& a : all) out += " " + a;
  return out;
}

void walk(const std::string& root, const std::string& rel, std::map<std::string, std::string>& out,
          std::map<std::pair<dev_t, ino_t>, std::string>& inodes) {
  std::string dir = rel.empty() ? root : root + "/" + rel;
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(fd.valid()) << dir;
  auto names = internal::list_dir(fd.get());
  ASSERT_TRUE(names.ok());
  std::sort(names->begin(), names->end());
  for (const std::string& name : *names) {
    std::string path = rel.empty() ? name : rel + "/" + name;
    std::string full = root + "/" + path;
    struct stat st;
    ASSERT_EQ(::lstat(full.c_str(), &st), 0);
    char desc[128];
    std::snprintf(desc, sizeof(desc), "%o %u:%u %lld", st.st_mode, st.st_uid, st.st_gid,
                  static_cast<long long>(st.st_mtim.tv_sec));
    std::string line = desc;
    if (S_ISREG(st.st_mode)) line += " size=" + std::to_string(st.st_size);
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
      line += " dev=" + std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
    if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t n = ::readlink(full.c_str(), target, sizeof(target));
      line += " -> " + std::string(target, static_cast<size_t>(std::max<ssize_t>(n, 0)));
    }
    line += xattr_list(full);
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      auto [it, first] = inodes.try_emplace({st.st_dev, st.st_ino}, path);
      if (!first) line += " hardlink-of=" + it->second;
    }
    if (S_ISREG(st.st_mode)) line += " " + sha256(read_whole(full));
    out[path] = line;
    if (S_ISDIR(st.st_mode)) walk(root, path, out, inodes);
  }
}

}  // namespace

std::map<std::string, std::string> snapshot(const std::string& dir) {
  std::map<std::string, std::string> out;
  std::map<std::pair<dev_t, ino_t>, std::string> inodes;
  walk(dir, "", out, inodes);
  return out;
}

TempDir temp_dir() {
  auto t = TempDir::create("/tmp", "archive-test-");
  EXPECT_TRUE(t.ok());
  return std::move(*t);
}

}  // namespace berth::archive::testing
