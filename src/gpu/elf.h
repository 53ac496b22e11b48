// The DT_SONAME of a shared library, read from its ELF dynamic section.
//
// Driver libraries are mounted under the name the dynamic loader asks for (libcuda.so.1,
// libnvidia-nvvm.so.4, ...), which only the library itself knows.
#pragma once

#include <string>

#include "base/error.h"

namespace berth::gpu {

// kInvalidArgument if the file is not a 64- or 32-bit little-endian ELF shared object with a
// soname; kNotFound if it cannot be opened.
Result<std::string> elf_soname(const std::string& path);

}  // namespace berth::gpu
