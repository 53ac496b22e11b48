// Layer tars are untrusted: extraction never crashes and never writes outside its root. The
// target extracts into <tmp>/root and checks that <tmp> holds nothing else afterwards.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>

#include "archive/archive.h"
#include "base/fs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto dir = berth::TempDir::create("/tmp", "berth-fuzz-tar-");
  if (!dir.ok()) std::abort();
  std::string root = berth::path_join(dir->path(), "root");
  if (!berth::mkdir_all(root).ok()) std::abort();
  int fd = memfd_create("fuzz-tar", MFD_CLOEXEC);
  if (fd < 0 || write(fd, data, size) != static_cast<ssize_t>(size)) std::abort();
  lseek(fd, 0, SEEK_SET);
  (void)berth::archive::apply_layer(fd, root);
  close(fd);
  for (const auto& e : std::filesystem::directory_iterator(dir->path()))
    if (e.path().filename() != "root") std::abort();  // something escaped the root
  return 0;
}
