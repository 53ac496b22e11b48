#include "network/sysctl.h"

#include <fcntl.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

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

Status enable_hairpin(const std::string& link) {
  unsigned index = ::if_nametoindex(link.c_str());
  if (index == 0) return sys_error("bridge port " + link);
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd) return sys_error("netlink socket");
  struct {
    nlmsghdr nh;
    ifinfomsg ifi;
    nlattr protinfo;
    nlattr mode;
    uint8_t value;
    uint8_t pad[3];
  } req{};
  req.nh.nlmsg_len = sizeof req;
  req.nh.nlmsg_type = RTM_SETLINK;
  req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  req.nh.nlmsg_seq = 1;
  req.ifi.ifi_family = AF_BRIDGE;
  req.ifi.ifi_index = static_cast<int>(index);
  req.protinfo.nla_type = IFLA_PROTINFO | NLA_F_NESTED;
  req.protinfo.nla_len = sizeof(nlattr) * 2 + 4;
  req.mode.nla_type = IFLA_BRPORT_MODE;
  req.mode.nla_len = sizeof(nlattr) + 1;
  req.value = 1;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd.get(), &req, sizeof req, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
    return sys_error("setting hairpin mode on " + link);
  alignas(nlmsghdr) char buf[1024];
  ssize_t n;
  while ((n = ::recv(fd.get(), buf, sizeof buf, 0)) < 0 && errno == EINTR) {
  }
  if (n < 0) return sys_error("setting hairpin mode on " + link);
  auto* m = reinterpret_cast<nlmsghdr*>(buf);
  if (NLMSG_OK(m, static_cast<unsigned>(n)) && m->nlmsg_type == NLMSG_ERROR) {
    int err = -static_cast<nlmsgerr*>(NLMSG_DATA(m))->error;
    if (err != 0) return sys_error("setting hairpin mode on " + link, err);
  }
  return {};
}

bool host_has_ipv6() {
  auto text = read_file("/proc/net/if_inet6");
  return text.ok() && text->find_first_not_of(" \n") != std::string::npos;
}

}  // namespace berth::network
