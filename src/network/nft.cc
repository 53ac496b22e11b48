#include "network/nft.h"

#include <nftables/libnftables.h>

#include <memory>

#include "base/strings.h"

namespace berth::network {
namespace {

std::string quote(const std::string& s) { return "\"" + s + "\""; }

std::string dnat_rule(const NftPort& p) {
  std::string r;
  if (!p.host_ip.empty() && p.host_ip != "0.0.0.0") r += "ip daddr " + p.host_ip + " ";
  r += p.proto + " dport " + std::to_string(p.host_port) + " dnat to " + to_string(p.dest) + ":" +
       std::to_string(p.dest_port);
  return r;
}

bool loopback_only(const NftPort& p) { return p.host_ip.rfind("127.", 0) == 0; }

}  // namespace

std::string render_table(const NftPlan& plan) {
  std::string t = "table ip " + plan.table + " {\n";
  // Published ports reached from outside: never for loopback destinations (CVE-2020-8558).
  t += "\tchain publish {\n";
  for (const auto& p : plan.ports)
    if (!loopback_only(p)) t += "\t\t" + dnat_rule(p) + "\n";
  t += "\t}\n";
  // Published ports reached from the host itself, loopback included.
  t += "\tchain publish_local {\n";
  for (const auto& p : plan.ports) t += "\t\t" + dnat_rule(p) + "\n";
  t += "\t}\n";
  t += "\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n";
  t += "\t\tip daddr 127.0.0.0/8 return\n";
  t += "\t\tfib daddr type local jump publish\n\t}\n";
  t += "\tchain output {\n\t\ttype nat hook output priority -100; policy accept;\n";
  t += "\t\tfib daddr type local jump publish_local\n\t}\n";
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
    if (n.internal) {
      t += "\t\tiifname " + quote(n.bridge) + " oifname != " + quote(n.bridge) + " drop\n";
      t += "\t\toifname " + quote(n.bridge) + " iifname != " + quote(n.bridge) + " drop\n";
      continue;
    }
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

Status nft_run(const std::string& script) {
  std::unique_ptr<nft_ctx, void (*)(nft_ctx*)> ctx(nft_ctx_new(NFT_CTX_DEFAULT), nft_ctx_free);
  if (!ctx) return internal_error("nftables: cannot create a context");
  nft_ctx_buffer_output(ctx.get());
  nft_ctx_buffer_error(ctx.get());
  if (nft_run_cmd_from_buffer(ctx.get(), script.c_str()) != 0) {
    const char* buf = nft_ctx_get_error_buffer(ctx.get());
    std::string msg = buf ? buf : "";
    return Error(Code::kFailedPrecondition, "nftables: " + std::string(trim(msg)));
  }
  return {};
}

}  // namespace berth::network
