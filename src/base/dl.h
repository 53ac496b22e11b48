// A shared library loaded with dlopen on first use, and its entry points looked up into typed
// function pointers (libcurl, libnftables, libcrypto: each costs every berth start its mapping
// and relocations when linked, and most commands never call it).
#pragma once

#include <dlfcn.h>

#include <string>
#include <type_traits>

namespace berth {

// Never closed: these libraries keep global state for the life of the process.
class DlLibrary {
 public:
  explicit DlLibrary(const char* soname) : soname_(soname) {
    handle_ = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!handle_) error_ = std::string("loading ") + soname + ": " + ::dlerror();
  }
  // Sets `fn` to the symbol `name`; the first failure is kept in error().
  template <typename Fn>
  void get(Fn& fn, const char* name) {
    fn = handle_ ? reinterpret_cast<std::remove_reference_t<Fn>>(::dlsym(handle_, name)) : nullptr;
    if (!fn && error_.empty()) error_ = std::string("loading ") + soname_ + ": no symbol " + name;
  }
  // Empty when the library and every symbol asked for were found.
  const std::string& error() const { return error_; }

 private:
  const char* soname_;
  void* handle_ = nullptr;
  std::string error_;
};

}  // namespace berth
