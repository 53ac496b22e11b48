#include "network/ipam.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include "base/fs.h"

namespace berth::network {

Status Ipam::try_take(Ipv4 a, const std::string& owner) {
  BERTH_TRY(mkdir_all(dir_, 0700));
  std::string final_path = path_join(dir_, to_string(a));
  std::string tmp = path_join(dir_, ".tmp-" + to_string(a) + "-" + std::to_string(::getpid()));
  BERTH_TRY(atomic_write_file(tmp, owner, 0600));
  // link(2) fails with EEXIST when the address is taken: the exclusive, atomic step.
  int rc = ::link(tmp.c_str(), final_path.c_str());
  int err = errno;
  ::unlink(tmp.c_str());
  if (rc < 0) return sys_error("allocating " + to_string(a), err);
  return fsync_dir(dir_);
}

Result<Ipv4> Ipam::allocate(const std::string& owner, std::optional<Ipv4> want) {
  auto reserved = [&](Ipv4 a) {
    return a == subnet_.network() || a == subnet_.broadcast() || a == gateway_;
  };
  if (want) {
    if (!subnet_.contains(*want) || reserved(*want))
      return invalid_argument("Invalid address " + to_string(*want) +
                              ": It does not belong to any of this network's subnets");
    auto st = try_take(*want, owner);
    if (!st.ok() && st.error().code() == Code::kAlreadyExists)
      return conflict("Address already in use");
    BERTH_TRY(st);
    return *want;
  }
  Subnet pool = range_.value_or(subnet_);
  BERTH_ASSIGN_OR_RETURN(auto taken, list());
  for (uint32_t v = pool.network().v + 1; v < pool.broadcast().v; ++v) {
    Ipv4 a{v};
    if (reserved(a) || taken.count(a)) continue;
    auto st = try_take(a, owner);
    if (st.ok()) return a;
    if (st.error().code() != Code::kAlreadyExists) return std::move(st).error();
    // Another process took it between list() and link(): try the next one.
  }
  return unavailable("no available IPv4 addresses on this network's address pools");
}

Status Ipam::release(Ipv4 a) {
  if (::unlink(path_join(dir_, to_string(a)).c_str()) < 0 && errno != ENOENT)
    return sys_error("releasing " + to_string(a));
  return {};
}

Result<std::map<Ipv4, std::string>> Ipam::list() const {
  std::map<Ipv4, std::string> out;
  DIR* d = ::opendir(dir_.c_str());
  if (!d) {
    if (errno == ENOENT) return out;
    return sys_error("opening " + dir_);
  }
  while (auto* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (name.rfind(".tmp-", 0) == 0) {
      // A writer that died between writing and linking; a live one unlinks its own at once.
      continue;
    }
    auto a = parse_ipv4(name);
    if (!a.ok()) continue;
    auto owner = read_file(path_join(dir_, name));
    out[*a] = owner.ok() ? *owner : "";
  }
  ::closedir(d);
  return out;
}

}  // namespace berth::network
