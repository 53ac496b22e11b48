#include "network/etc_files.h"

#include "base/strings.h"
#include "network/addr.h"

namespace berth::network {
namespace {

bool is_loopback(const std::string& ip) {
  if (ip == "::1" || ip == "0:0:0:0:0:0:0:1") return true;
  return ip.rfind("127.", 0) == 0;
}

std::vector<std::string> fields(std::string_view line) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (c == ' ' || c == '\t') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

}  // namespace

std::string container_resolv_conf(std::string_view host_text, const DnsOptions& dns,
                                  bool host_network) {
  std::vector<std::string> servers, search, options, other;
  for (const auto& raw : split(host_text, '\n')) {
    auto f = fields(raw);
    if (f.empty() || f[0][0] == '#' || f[0][0] == ';') continue;
    if (f[0] == "nameserver" && f.size() > 1) {
      if (host_network || !is_loopback(f[1])) servers.push_back(f[1]);
    } else if ((f[0] == "search" || f[0] == "domain") && f.size() > 1) {
      search.assign(f.begin() + 1, f.end());  // the last one wins, as in resolv.conf(5)
    } else if (f[0] == "options" && f.size() > 1) {
      options.insert(options.end(), f.begin() + 1, f.end());
    } else {
      other.push_back(std::string(trim(raw)));
    }
  }
  if (!dns.servers.empty()) servers = dns.servers;
  if (servers.empty()) servers = {"8.8.8.8", "8.8.4.4"};
  if (!dns.search.empty()) {
    search = dns.search;
    if (search.size() == 1 && search[0] == ".") search.clear();
  }
  if (!dns.options.empty()) options = dns.options;
  std::string out;
  for (const auto& l : other) out += l + "\n";
  for (const auto& s : servers) out += "nameserver " + s + "\n";
  if (!search.empty()) out += "search " + join(search, " ") + "\n";
  if (!options.empty()) out += "options " + join(options, " ") + "\n";
  return out;
}

Result<HostEntry> parse_add_host(std::string_view value, std::string_view gateway_ip) {
  // Docker splits at the first ':' or '=' (an IPv6 address has colons of its own).
  size_t at = value.find_first_of(":=");
  auto bad = [&] {
    return invalid_argument("invalid argument \"" + std::string(value) +
                            "\" for \"--add-host\" flag: bad format for add-host: \"" +
                            std::string(value) + "\"");
  };
  if (at == std::string_view::npos || at == 0 || at + 1 >= value.size()) return bad();
  std::string name(value.substr(0, at));
  std::string ip(value.substr(at + 1));
  if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  if (ip == "host-gateway") {
    if (gateway_ip.empty())
      return invalid_argument("unable to derive the IP value for host-gateway");
    ip = std::string(gateway_ip);
  }
  if (ip.find(':') == std::string::npos && !parse_ipv4(ip).ok())
    return invalid_argument("invalid argument \"" + std::string(value) +
                            "\" for \"--add-host\" flag: invalid IP address in add-host: \"" + ip +
                            "\"");
  return HostEntry{ip, {name}};
}

std::string hosts_file(const std::vector<HostEntry>& extra, std::string_view own_ip,
                       const std::vector<std::string>& own_names) {
  std::string out =
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\n"
      "ff00::0\tip6-mcastprefix\n"
      "ff02::1\tip6-allnodes\n"
      "ff02::2\tip6-allrouters\n";
  for (const auto& e : extra) out += e.ip + "\t" + join(e.names, " ") + "\n";
  if (!own_ip.empty() && !own_names.empty())
    out += std::string(own_ip) + "\t" + join(own_names, " ") + "\n";
  return out;
}

}  // namespace berth::network
