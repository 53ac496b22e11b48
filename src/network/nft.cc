#include "network/nft.h"

#include <endian.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <nftables/libnftables.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <mutex>

#include "base/dl.h"
#include "base/strings.h"
#include "base/unique_fd.h"

namespace berth::network {
namespace {

std::string quote(const std::string& s) { return "\"" + s + "\""; }

bool any_address(const NftPort& p) { return p.host_ip.empty() || p.host_ip == "0.0.0.0"; }

// One map element: "tcp . 8000 : 172.18.0.2 . 80" (pub_any) or
// "127.0.0.1 . tcp . 8000 : 172.18.0.2 . 80" (pub_addr); with `with_value` false only the key.
std::string element(const NftPort& p, bool with_value) {
  std::string e = any_address(p) ? "" : p.host_ip + " . ";
  e += p.proto + " . " + std::to_string(p.host_port);
  if (with_value) e += " : " + to_string(p.dest) + " . " + std::to_string(p.dest_port);
  return e;
}

// "{ a, b }" of the ports that go to pub_any (`any`) or pub_addr; "" when none.
std::string elements(const std::vector<NftPort>& ports, bool any, bool with_value) {
  std::vector<std::string> out;
  for (const auto& p : ports)
    if (any_address(p) == any) out.push_back(element(p, with_value));
  return out.empty() ? "" : "{ " + join(out, ", ") + " }";
}

const char* kAnyType = "inet_proto . inet_service : ipv4_addr . inet_service";
const char* kAddrType = "ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service";

std::string map_text(const char* name, const char* type, const std::string& elems) {
  std::string t = std::string("\tmap ") + name + " {\n\t\ttype " + type + "\n";
  if (!elems.empty()) t += "\t\telements = " + elems + "\n";
  return t + "\t}\n";
}

std::string ports_script(const char* verb, const std::string& table,
                         const std::vector<NftPort>& ports, bool with_value) {
  std::string s;
  if (auto any = elements(ports, true, with_value); !any.empty())
    s += std::string(verb) + " element ip " + table + " pub_any " + any + "\n";
  if (auto addr = elements(ports, false, with_value); !addr.empty())
    s += std::string(verb) + " element ip " + table + " pub_addr " + addr + "\n";
  return s;
}

}  // namespace

std::string render_table(const NftPlan& plan) {
  std::string t = "table ip " + plan.table + " {\n";
  t += map_text("pub_any", kAnyType, elements(plan.ports, true, true));
  t += map_text("pub_addr", kAddrType, elements(plan.ports, false, true));
  const std::string dnat =
      "\t\tfib daddr type local dnat ip to ip daddr . meta l4proto . th dport map @pub_addr\n"
      "\t\tfib daddr type local dnat ip to meta l4proto . th dport map @pub_any\n";
  t += "\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n";
  t += "\t\tip daddr 127.0.0.0/8 return\n" + dnat + "\t}\n";
  t += "\tchain output {\n\t\ttype nat hook output priority -100; policy accept;\n" + dnat + "\t}\n";
  t += "\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n";
  for (const auto& n : plan.networks) {
    t += "\t\toifname " + quote(n.bridge) + " ip saddr 127.0.0.0/8 masquerade\n";
    // Hairpin: a container reaching a neighbour through a published port on the host's address
    // must see the reply come back from that address, so the source is rewritten too.
    t += "\t\toifname " + quote(n.bridge) + " ip saddr " + n.subnet.to_string() +
         " ct status dnat masquerade\n";
    if (!n.internal)
      t += "\t\tip saddr " + n.subnet.to_string() + " oifname != " + quote(n.bridge) +
           " masquerade\n";
  }
  t += "\t}\n";
  t += "\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n";
  for (const auto& n : plan.networks) {
    if (!n.internal) continue;
    t += "\t\tiifname " + quote(n.bridge) + " oifname != " + quote(n.bridge) + " drop\n";
    t += "\t\toifname " + quote(n.bridge) + " iifname != " + quote(n.bridge) + " drop\n";
  }
  // A published port is reachable from every network that reaches the host (hairpin across
  // networks); only direct addressing between networks is isolated.
  t += "\t\tct status dnat accept\n";
  for (const auto& n : plan.networks) {
    if (n.internal) continue;
    std::vector<std::string> others;
    for (const auto& o : plan.networks)
      if (o.bridge != n.bridge) others.push_back(quote(o.bridge));
    if (!others.empty())
      t += "\t\tiifname " + quote(n.bridge) + " oifname { " + join(others, ", ") + " } drop\n";
  }
  t += "\t}\n}\n";
  return t;
}

std::string replace_script(const NftPlan& plan) {
  return "add table ip " + plan.table + "\ndelete table ip " + plan.table + "\n" +
         render_table(plan);
}

std::string delete_script(const std::string& table) {
  return "add table ip " + table + "\ndelete table ip " + table + "\n";
}

std::string add_ports_script(const std::string& table, const std::vector<NftPort>& ports) {
  return ports_script("add", table, ports, true);
}

std::string delete_ports_script(const std::string& table, const std::vector<NftPort>& ports) {
  return ports_script("delete", table, ports, false);
}

namespace {

// libnftables and the five libraries it needs (nftnl, mnl, xtables, jansson, gmp) are loaded on
// the first rule change, not at every berth start: only bridge networks with published ports
// and network commands use them (the same reason as registry/curl_api.h).
struct NftApi {
  nft_ctx* (*ctx_new)(uint32_t flags);
  void (*ctx_free)(nft_ctx* ctx);
  int (*buffer_output)(nft_ctx* ctx);
  int (*buffer_error)(nft_ctx* ctx);
  const char* (*get_error_buffer)(nft_ctx* ctx);
  int (*run_cmd_from_buffer)(nft_ctx* ctx, const char* buf);
};

Result<const NftApi*> nft_api() {
  static std::once_flag once;
  static NftApi api;
  static std::string error;
  std::call_once(once, [] {
    DlLibrary lib("libnftables.so.1");
    lib.get(api.ctx_new, "nft_ctx_new");
    lib.get(api.ctx_free, "nft_ctx_free");
    lib.get(api.buffer_output, "nft_ctx_buffer_output");
    lib.get(api.buffer_error, "nft_ctx_buffer_error");
    lib.get(api.get_error_buffer, "nft_ctx_get_error_buffer");
    lib.get(api.run_cmd_from_buffer, "nft_run_cmd_from_buffer");
    error = lib.error();
  });
  if (!error.empty()) return unavailable(error);
  return &api;
}

}  // namespace

Status nft_run(const std::string& script) {
  BERTH_ASSIGN_OR_RETURN(const NftApi* nft, nft_api());
  std::unique_ptr<nft_ctx, void (*)(nft_ctx*)> ctx(nft->ctx_new(NFT_CTX_DEFAULT), nft->ctx_free);
  if (!ctx) return internal_error("nftables: cannot create a context");
  nft->buffer_output(ctx.get());
  nft->buffer_error(ctx.get());
  if (nft->run_cmd_from_buffer(ctx.get(), script.c_str()) != 0) {
    const char* buf = nft->get_error_buffer(ctx.get());
    std::string msg = buf ? buf : "";
    return Error(Code::kFailedPrecondition, "nftables: " + std::string(trim(msg)));
  }
  return {};
}

Result<std::optional<uint64_t>> table_handle(const std::string& table) {
  if (table.size() >= 256) return invalid_argument("nftables: table name too long: " + table);
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
  if (!fd) return sys_error("nftables: netlink socket");
  // nlmsghdr + nfgenmsg + one NFTA_TABLE_NAME attribute.
  alignas(NLMSG_ALIGNTO) char req[NLMSG_SPACE(sizeof(nfgenmsg)) + NLA_HDRLEN + 256 + 4] = {};
  auto* nh = reinterpret_cast<nlmsghdr*>(req);
  nh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE;
  nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  nh->nlmsg_seq = 1;
  auto* gen = static_cast<nfgenmsg*>(NLMSG_DATA(nh));
  gen->nfgen_family = NFPROTO_IPV4;
  gen->version = NFNETLINK_V0;
  auto* attr = reinterpret_cast<nlattr*>(req + NLMSG_SPACE(sizeof(nfgenmsg)));
  attr->nla_type = NFTA_TABLE_NAME;
  attr->nla_len = static_cast<uint16_t>(NLA_HDRLEN + table.size() + 1);
  std::memcpy(reinterpret_cast<char*>(attr) + NLA_HDRLEN, table.c_str(), table.size() + 1);
  nh->nlmsg_len = NLMSG_SPACE(sizeof(nfgenmsg)) + NLA_ALIGN(attr->nla_len);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd.get(), req, nh->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
    return sys_error("nftables: netlink send");
  std::optional<uint64_t> handle;
  alignas(NLMSG_ALIGNTO) char buf[8192];
  for (;;) {
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("nftables: netlink receive");
    int len = static_cast<int>(n);
    for (auto* m = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(m, len); m = NLMSG_NEXT(m, len)) {
      if (m->nlmsg_type == NLMSG_ERROR) {
        int err = -static_cast<nlmsgerr*>(NLMSG_DATA(m))->error;
        if (err == 0) return handle;  // the ACK ends the answer
        if (err == ENOENT) return std::optional<uint64_t>();
        return sys_error("nftables: looking up table " + table, err);
      }
      if (m->nlmsg_type == NLMSG_DONE) return handle;
      if (m->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWTABLE)) continue;
      int alen = static_cast<int>(m->nlmsg_len - NLMSG_SPACE(sizeof(nfgenmsg)));
      auto* a = reinterpret_cast<nlattr*>(reinterpret_cast<char*>(m) + NLMSG_SPACE(sizeof(nfgenmsg)));
      while (alen >= static_cast<int>(NLA_HDRLEN) && a->nla_len >= NLA_HDRLEN && a->nla_len <= alen) {
        if ((a->nla_type & NLA_TYPE_MASK) == NFTA_TABLE_HANDLE && a->nla_len >= NLA_HDRLEN + 8) {
          uint64_t be;
          std::memcpy(&be, reinterpret_cast<char*>(a) + NLA_HDRLEN, 8);
          handle = be64toh(be);
        }
        alen -= NLA_ALIGN(a->nla_len);
        a = reinterpret_cast<nlattr*>(reinterpret_cast<char*>(a) + NLA_ALIGN(a->nla_len));
      }
      if (!handle) handle = 0;  // a kernel without handles: existence is all we learn
    }
  }
}

}  // namespace berth::network
