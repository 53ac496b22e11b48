// ELF soname reader (see elf.h). Reads section headers only: the .dynamic section and the
// string table its sh_link names. Every offset is bounds-checked against the file size, since
// the file comes from a driver directory that a test (or an attacker) may fill.
#include "gpu/elf.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "base/fs.h"

namespace berth::gpu {
namespace {

template <typename Ehdr, typename Shdr, typename Dyn>
Result<std::string> soname_of(int fd, uint64_t size, const std::string& path) {
  auto bad = [&](const char* why) { return invalid_argument(path + ": " + why); };
  auto pread_exact = [&](void* buf, size_t n, uint64_t off) {
    return off <= size && n <= size - off &&
           ::pread(fd, buf, n, static_cast<off_t>(off)) == static_cast<ssize_t>(n);
  };
  Ehdr eh;
  if (!pread_exact(&eh, sizeof eh, 0)) return bad("short ELF header");
  if (eh.e_shentsize != sizeof(Shdr) || eh.e_shnum == 0 || eh.e_shnum > 4096)
    return bad("no usable section headers");
  std::vector<Shdr> sh(eh.e_shnum);
  if (!pread_exact(sh.data(), sizeof(Shdr) * sh.size(), eh.e_shoff))
    return bad("section headers out of the file");
  for (const auto& s : sh) {
    if (s.sh_type != SHT_DYNAMIC) continue;
    if (s.sh_link >= sh.size() || s.sh_size > (1u << 20)) return bad("bad dynamic section");
    const Shdr& strtab = sh[s.sh_link];
    std::vector<Dyn> dyn(s.sh_size / sizeof(Dyn));
    if (!pread_exact(dyn.data(), dyn.size() * sizeof(Dyn), s.sh_offset))
      return bad("dynamic section out of the file");
    for (const auto& d : dyn) {
      if (d.d_tag == DT_NULL) break;
      if (d.d_tag != DT_SONAME) continue;
      if (d.d_un.d_val >= strtab.sh_size) return bad("soname out of its string table");
      char name[256] = {};
      uint64_t off = strtab.sh_offset + d.d_un.d_val;
      size_t n = std::min<uint64_t>(sizeof name - 1, strtab.sh_size - d.d_un.d_val);
      if (!pread_exact(name, n, off)) return bad("soname out of the file");
      if (name[0] == '\0' || std::strchr(name, '/')) return bad("empty or bad soname");
      return std::string(name);
    }
  }
  return bad("no soname");
}

}  // namespace

Result<std::string> elf_soname(const std::string& path) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, open_file(path, O_RDONLY | O_CLOEXEC));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return sys_error("stat " + path);
  unsigned char ident[EI_NIDENT];
  if (::pread(fd.get(), ident, sizeof ident, 0) != static_cast<ssize_t>(sizeof ident) ||
      std::memcmp(ident, ELFMAG, SELFMAG) != 0 || ident[EI_DATA] != ELFDATA2LSB)
    return invalid_argument(path + ": not a little-endian ELF file");
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (ident[EI_CLASS] == ELFCLASS64)
    return soname_of<Elf64_Ehdr, Elf64_Shdr, Elf64_Dyn>(fd.get(), size, path);
  if (ident[EI_CLASS] == ELFCLASS32)
    return soname_of<Elf32_Ehdr, Elf32_Shdr, Elf32_Dyn>(fd.get(), size, path);
  return invalid_argument(path + ": unknown ELF class");
}

}  // namespace berth::gpu
