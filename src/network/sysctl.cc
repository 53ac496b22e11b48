#include "network/sysctl.h"

#include <fcntl.h>

#include "base/fs.h"

namespace berth::network {
namespace {

Status write_sysctl(const std::string& path, const std::string& value) {
  auto cur = read_file(path);
  if (cur.ok() && cur->substr(0, value.size()) == value) return {};
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, open_file(path, O_WRONLY));
  BERTH_TRY_CTX(write_all(fd.get(), value), "writing " + path);
  return {};
}

}  // namespace

Status enable_ip_forward() { return write_sysctl("/proc/sys/net/ipv4/ip_forward", "1"); }

Status enable_route_localnet(const std::string& link) {
  return write_sysctl("/proc/sys/net/ipv4/conf/" + link + "/route_localnet", "1");
}

bool host_has_ipv6() {
  auto text = read_file("/proc/net/if_inet6");
  return text.ok() && text->find_first_not_of(" \n") != std::string::npos;
}

}  // namespace berth::network
