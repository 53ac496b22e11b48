// `network create/ls/inspect/rm/prune/connect/disconnect`, `port`, and the networking flags of
// `run`/`create`.
#include <algorithm>
#include <tuple>

#include "base/strings.h"
#include "cli/commands/commands.h"
#include "engine/network.h"

namespace berth::cli {
namespace {

// host and none are listed as Docker lists them; their ids are stable per root.
std::string pseudo_id(const std::string& root, const std::string& name) {
  uint64_t h = stable_hash64(root + "/" + name);
  char buf[17];
  std::string s;
  for (int i = 0; i < 4; ++i) {
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    s += buf;
    h = h * 6364136223846793005ull + 1442695040888963407ull;
  }
  return s;
}

void add_network_create(CLI::App* parent, Cli& cli) {
  auto req = std::make_shared<engine::NetworkCreateRequest>();
  auto* c = parent->add_subcommand("create", "Create a network");
  c->add_option("-d,--driver", req->driver, "Driver to manage the Network");
  c->add_option("--subnet", req->subnet, "Subnet in CIDR format that represents a network segment");
  c->add_option("--gateway", req->gateway, "IPv4 Gateway for the master subnet");
  c->add_option("--ip-range", req->ip_range, "Allocate container ip from a sub-range");
  c->add_flag("--internal", req->internal, "Restrict external access to the network");
  c->add_option("--label", req->labels, "Set metadata on a network")->allow_extra_args(false);
  c->add_option("-o,--opt", req->options, "Set driver specific options")->allow_extra_args(false);
  c->add_option("NETWORK", req->name, "Network name")->required();
  c->callback([&cli, req] {
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    auto r = engine::create_network(**eng, *req);
    if (!r.ok()) return cli.fail(r.error());
    cli.out << r->id << "\n";
  });
}

void add_network_ls(CLI::App* parent, Cli& cli) {
  struct Flags {
    bool quiet = false, no_trunc = false;
    std::string format;
    std::vector<std::string> filters;
  };
  auto f = std::make_shared<Flags>();
  auto* c = parent->add_subcommand("ls", "List networks");
  c->alias("list");
  c->add_flag("-q,--quiet", f->quiet, "Only display network IDs");
  c->add_flag("--no-trunc", f->no_trunc, "Do not truncate the output");
  c->add_option("--format", f->format, "Format output using a custom template");
  c->add_option("-f,--filter", f->filters, "Provide filter values (e.g. 'driver=bridge')")
      ->allow_extra_args(false);
  c->callback([&cli, f] {
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    auto def = engine::find_network(**eng, "bridge");  // Docker always has it
    if (!def.ok()) return cli.fail(def.error());
    auto nets = engine::list_networks(**eng);
    if (!nets.ok()) return cli.fail(nets.error());
    std::vector<nlohmann::json> rows;
    auto add = [&](const std::string& id, const std::string& name, const std::string& driver,
                   const std::map<std::string, std::string>& labels, bool internal) {
      for (const auto& fl : f->filters) {
        auto kv = split_once(fl, '=');
        if (kv.first == "name" && name.find(kv.second) == std::string::npos) return;
        if (kv.first == "driver" && driver != kv.second) return;
        if (kv.first == "id" && id.rfind(kv.second, 0) != 0) return;
        if (kv.first == "label") {
          auto lkv = split_once(kv.second, '=');
          auto it = labels.find(lkv.first);
          if (it == labels.end() || (lkv.found && it->second != lkv.second)) return;
        }
        if (kv.first == "type" && (kv.second == "custom") != !engine::is_builtin_network(name)) return;
      }
      std::string shown = f->no_trunc ? id : id.substr(0, 12);
      if (f->quiet) {
        cli.out << shown << "\n";
        return;
      }
      std::vector<std::string> ls;
      for (const auto& [k, v] : labels) ls.push_back(k + "=" + v);
      rows.push_back({{"ID", shown}, {"Name", name}, {"Driver", driver}, {"Scope", "local"},
                      {"IPv6", "false"}, {"Internal", internal ? "true" : "false"},
                      {"Labels", join(ls, ",")}});
    };
    std::vector<engine::NetworkRecord> sorted = *nets;
    for (const auto& n : sorted) add(n.id, n.name, n.driver, n.labels, n.internal);
    add(pseudo_id((*eng)->options().root, "host"), "host", "host", {}, false);
    add(pseudo_id((*eng)->options().root, "none"), "none", "null", {}, false);
    if (f->quiet) return;
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      return a["Name"].template get<std::string>() < b["Name"].template get<std::string>();
    });
    cli.print_list(f->format, "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}",
                   {{"ID", "NETWORK ID"}, {"Name", "NAME"}, {"Driver", "DRIVER"},
                    {"Scope", "SCOPE"}, {"IPv6", "IPV6"}, {"Internal", "INTERNAL"},
                    {"Labels", "LABELS"}},
                   rows);
  });
}

void add_network_inspect(CLI::App* parent, Cli& cli) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto format = std::make_shared<std::string>();
  auto* c = parent->add_subcommand("inspect", "Display detailed information on one or more networks");
  c->add_option("-f,--format", *format, "Format output using a custom template");
  c->add_option("NETWORK", *names, "Networks")->required();
  c->callback([&cli, names, format] {
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    std::vector<nlohmann::ordered_json> objs;
    std::vector<Error> errors;
    for (const auto& n : *names) {
      auto j = engine::inspect_network(**eng, n);
      if (j.ok()) objs.push_back(std::move(*j));
      else errors.push_back(std::move(j).error());
    }
    cli.print_objects(*format, objs);
    for (const auto& e : errors) cli.fail(e);
  });
}

void add_network_rm_prune(CLI::App* parent, Cli& cli) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto* rm = parent->add_subcommand("rm", "Remove one or more networks");
  rm->alias("remove");
  rm->add_option("NETWORK", *names, "Networks")->required();
  rm->callback([&cli, names] {
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    for (const auto& n : *names) {
      auto st = engine::remove_network(**eng, n);
      if (st.ok()) cli.out << n << "\n";
      else cli.fail(st.error());
    }
  });
  auto force = std::make_shared<bool>(false);
  auto* prune = parent->add_subcommand("prune", "Remove all unused networks");
  prune->add_flag("-f,--force", *force, "Do not prompt for confirmation");
  prune->callback([&cli, force] {
    if (!*force && !cli.confirm("WARNING! This will remove all custom networks not used by at least one container."))
      return;
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    auto gone = engine::prune_networks(**eng);
    if (!gone.ok()) return cli.fail(gone.error());
    if (gone->empty()) return;
    cli.out << "Deleted Networks:\n";
    for (const auto& n : *gone) cli.out << n << "\n";
  });
}

void add_network_connect(CLI::App* parent, Cli& cli) {
  struct Flags {
    std::string network, container, ip;
    std::vector<std::string> aliases;
    bool force = false;
  };
  auto f = std::make_shared<Flags>();
  auto* c = parent->add_subcommand("connect", "Connect a container to a network");
  c->add_option("--alias", f->aliases, "Add network-scoped alias for the container")->allow_extra_args(false);
  c->add_option("--ip", f->ip, "IPv4 address (e.g., \"172.30.100.104\")");
  c->add_option("NETWORK", f->network)->required();
  c->add_option("CONTAINER", f->container)->required();
  c->callback([&cli, f] {
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    auto st = engine::connect_network(**eng, f->network, f->container, f->aliases, f->ip);
    if (!st.ok()) cli.fail(st.error());
  });
  auto g = std::make_shared<Flags>();
  auto* d = parent->add_subcommand("disconnect", "Disconnect a container from a network");
  d->add_flag("-f,--force", g->force, "Force the container to disconnect from a network");
  d->add_option("NETWORK", g->network)->required();
  d->add_option("CONTAINER", g->container)->required();
  d->callback([&cli, g] {
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    auto st = engine::disconnect_network(**eng, g->network, g->container);
    if (!st.ok()) cli.fail(st.error());
  });
}

void add_port(CLI::App* parent, Cli& cli) {
  auto name = std::make_shared<std::string>();
  auto which = std::make_shared<std::string>();
  auto* c = parent->add_subcommand("port", "List port mappings or a specific mapping for the container");
  c->add_option("CONTAINER", *name)->required();
  c->add_option("PRIVATE_PORT", *which, "[PRIVATE_PORT[/PROTO]]");
  c->callback([&cli, name, which] {
    auto eng = cli.engine();
    if (!eng.ok()) return cli.fail(eng.error());
    auto ctr = (*eng)->find_container(*name);
    if (!ctr.ok()) return cli.fail(ctr.error());
    auto ports = ctr->state == "running" ? engine::container_ports(**eng, ctr->id)
                                         : std::vector<network::PortBinding>{};
    std::sort(ports.begin(), ports.end(), [](const auto& a, const auto& b) {
      return std::tie(a.container_port, a.proto, a.host_ip) < std::tie(b.container_port, b.proto, b.host_ip);
    });
    std::string want = *which;
    if (!want.empty() && want.find('/') == std::string::npos) want += "/tcp";
    bool any = false;
    for (const auto& p : ports) {
      std::string host = network::format_host_port(p.host_ip, p.host_port);  // [::]:8080 for IPv6
      if (want.empty()) {
        cli.out << network::port_key(p) << " -> " << host << "\n";
      } else if (network::port_key(p) == want) {
        cli.out << host << "\n";
        any = true;
      }
    }
    if (!want.empty() && !any)
      cli.fail(not_found("No public port '" + want + "' published for " + *name));
  });
}

}  // namespace

void add_network_run_flags(CLI::App* c, engine::RunRequest& r) {
  c->add_option("-p,--publish", r.publish, "Publish a container's port(s) to the host")
      ->allow_extra_args(false);
  c->add_flag("-P,--publish-all", r.publish_all, "Publish all exposed ports to random ports");
  c->add_option("--expose", r.expose, "Expose a port or a range of ports")->allow_extra_args(false);
  c->add_option("--network-alias", r.aliases, "Add network-scoped alias for the container")
      ->allow_extra_args(false);
  c->add_option("--add-host", r.add_hosts, "Add a custom host-to-IP mapping (host:ip)")
      ->allow_extra_args(false);
  c->add_option("--dns", r.dns, "Set custom DNS servers")->allow_extra_args(false);
  c->add_option("--dns-search", r.dns_search, "Set custom DNS search domains")->allow_extra_args(false);
  c->add_option("--dns-option", r.dns_options, "Set DNS options")->allow_extra_args(false);
  c->add_option("--mac-address", r.mac_address, "Container MAC address (e.g., 92:d0:c6:0a:29:33)");
  c->add_option("--ip", r.ip, "IPv4 address (e.g., 172.30.100.104)");
}

std::string ports_column(engine::Engine& e, const engine::ContainerRecord& c) {
  if (c.state != "running") return "";
  return network::format_ports(engine::container_ports(e, c.id));
}

void register_network_commands(CLI::App& app, Cli& cli) {
  auto* net = app.add_subcommand("network", "Manage networks");
  net->require_subcommand(1);
  add_network_create(net, cli);
  add_network_ls(net, cli);
  add_network_inspect(net, cli);
  add_network_rm_prune(net, cli);
  add_network_connect(net, cli);
  add_port(&app, cli);
  auto* container = app.get_subcommand("container");
  add_port(container, cli);
}

}  // namespace berth::cli
