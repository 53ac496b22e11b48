// pull/push/login/logout with Docker's words; the protocol work is the registry module's.
#include "engine/registry.h"

#include <fcntl.h>
#include <sys/file.h>

#include "base/fs.h"
#include "image/reference.h"
#include "registry/client.h"
#include "registry/config.h"
#include "registry/credentials.h"
#include "registry/endpoint.h"
#include "registry/pull.h"
#include "registry/push.h"

namespace berth::engine {
namespace {

registry::ClientOptions client_options(const RegistryFlags& flags,
                                       const registry::RegistriesConf& conf) {
  registry::ClientOptions o;
  o.tls_verify = flags.tls_verify;
  o.insecure_registries = conf.insecure;
  return o;
}

registry::ClientOptions client_options(const RegistryFlags& flags) {
  return client_options(flags, registry::load_registries_conf());
}

// Where a pull of a domain's image goes: its mirrors in order, then the registry itself unless
// registries.conf blocks it.
std::vector<std::string> pull_hosts(const registry::Endpoint& ep,
                                    const registry::RegistriesConf& conf) {
  std::vector<std::string> hosts;
  if (auto it = conf.mirrors.find(ep.domain); it != conf.mirrors.end()) hosts = it->second;
  if (!conf.blocked.count(ep.domain)) hosts.push_back(ep.host);
  return hosts;
}

// Failures a mirror may have that the next mirror or the registry itself may not.
bool try_next_host(const Error& e) {
  return e.code() == Code::kNotFound || e.code() == Code::kUnavailable ||
         e.code() == Code::kPermissionDenied;
}

// The same shared lock Engine::lock_store takes for writers (store.lock): garbage collection,
// which takes it exclusive, never removes blobs a pull has written but not yet recorded.
Result<UniqueFd> lock_store_shared(Engine& eng) {
  BERTH_ASSIGN_OR_RETURN(UniqueFd fd, open_file(path_join(eng.options().root, "store.lock"),
                                                O_RDWR | O_CREAT, 0600));
  while (::flock(fd.get(), LOCK_SH) < 0)
    if (errno != EINTR) return sys_error("locking the store");
  return fd;
}

void line(const EventFn& ev, const std::string& s) {
  if (ev) ev({"", s, 0, 0});
}

// Docker's wording for a pull the registry refused or could not find.
Error pull_error(Error e, const image::Reference& ref) {
  if (e.code() == Code::kPermissionDenied)
    return Error(e.code(), "pull access denied for " + ref.familiar_name() +
                               ", repository does not exist or may require 'docker login': " +
                               e.message());
  if (e.code() == Code::kNotFound &&
      (e.message().rfind("manifest unknown", 0) == 0 || e.message().rfind("name unknown", 0) == 0))
    return Error(e.code(), "manifest for " + ref.familiar_string() + " not found: " + e.message());
  return e;
}

// Pulls `ref` (or, with all_tags, every tag of its repository) through one registry host.
Result<std::string> pull_from(Engine& eng, registry::Client& client, image::Reference ref,
                              const PullRequest& req, const registry::PullOptions& popts,
                              const EventFn& ev) {
  std::vector<image::Reference> refs;
  if (req.all_tags) {
    auto tags = client.list_tags(ref.path);
    if (!tags.ok()) return pull_error(std::move(tags).error(), ref);
    for (const auto& t : *tags) {
      image::Reference r = ref;
      r.tag = t;
      refs.push_back(r);
    }
  } else {
    refs.push_back(ref);
  }
  BERTH_ASSIGN_OR_RETURN(UniqueFd lock, lock_store_shared(eng));
  bool any_new = false;
  for (const auto& r : refs) {
    auto res = registry::pull_image(eng.store(), client, r, popts, ev);
    if (!res.ok()) return pull_error(std::move(res).error(), r);
    line(ev, "Digest: " + res->digest);
    any_new |= res->downloaded;
    if (!req.all_tags)
      line(ev, std::string(res->downloaded ? "Status: Downloaded newer image for "
                                           : "Status: Image is up to date for ") +
                   r.familiar_string());
  }
  if (req.all_tags) {
    line(ev, std::string(any_new ? "Status: Downloaded newer image for "
                                 : "Status: Image is up to date for ") +
                 ref.familiar_name());
    return ref.name();
  }
  return refs.front().string();
}

}  // namespace

Result<std::string> pull_image(Engine& eng, const PullRequest& req, const EventFn& ev) {
  BERTH_ASSIGN_OR_RETURN(auto ref, image::parse_normalized_named(req.reference));
  if (req.all_tags && (ref.has_tag() || ref.has_digest()))
    return invalid_argument("tag can't be used with --all-tags/-a");
  registry::PullOptions popts;
  if (!req.platform.empty()) {
    BERTH_ASSIGN_OR_RETURN(popts.platform, registry::parse_platform(req.platform));
  }
  if (!req.all_tags) {
    if (!ref.has_tag() && !ref.has_digest()) {
      line(ev, "Using default tag: latest");
      ref = image::with_default_tag(ref);
    }
    // Docker keeps only the digest of "name:tag@digest".
    if (ref.has_digest()) ref.tag.clear();
  }
  auto conf = registry::load_registries_conf();
  auto ep = registry::endpoint_for(ref);
  auto hosts = pull_hosts(ep, conf);
  if (hosts.empty())
    return failed_precondition("registry " + ep.domain + " is blocked in registries.conf");
  for (size_t h = 0;; ++h) {
    bool last = h + 1 == hosts.size();
    auto client = registry::Client::connect(hosts[h], client_options(req.flags, conf));
    if (!client.ok()) {
      if (!last && try_next_host(client.error())) continue;
      return std::move(client).error();
    }
    auto r = pull_from(eng, **client, ref, req, popts, ev);
    if (r.ok() || last || !try_next_host(r.error())) return r;
  }
}

Status push_image(Engine& eng, const PushRequest& req, const EventFn& ev) {
  BERTH_ASSIGN_OR_RETURN(auto ref, image::parse_normalized_named(req.reference));
  if (ref.has_digest()) return invalid_argument("cannot push a digest reference");
  if (req.all_tags && ref.has_tag())
    return invalid_argument("tag can't be used with --all-tags/-a");
  std::vector<image::Reference> refs;
  if (req.all_tags) {
    BERTH_ASSIGN_OR_RETURN(auto all, eng.store().list());
    for (const auto& img : all)
      for (const auto& t : img.tags) {
        auto tr = image::parse_normalized_named(t);
        if (tr.ok() && tr->name() == ref.name()) refs.push_back(*tr);
      }
    if (refs.empty())
      return not_found("An image does not exist locally with the tag: " + ref.familiar_name());
  } else {
    if (!ref.has_tag()) {
      line(ev, "Using default tag: latest");
      ref = image::with_default_tag(ref);
    }
    refs.push_back(ref);
  }
  // Resolve every local image before talking to the registry.
  std::vector<image::ImageRecord> imgs;
  for (const auto& r : refs) {
    auto img = eng.store().resolve(r.string());
    if (!img.ok())
      return not_found("An image does not exist locally with the tag: " + r.familiar_name());
    imgs.push_back(*img);
  }
  line(ev, "The push refers to repository [" + ref.name() + "]");
  auto ep = registry::endpoint_for(ref);
  BERTH_ASSIGN_OR_RETURN(auto client,
                         registry::Client::connect(ep.host, client_options(req.flags)));
  client->set_push(true);
  BERTH_ASSIGN_OR_RETURN(UniqueFd lock, lock_store_shared(eng));
  for (size_t i = 0; i < refs.size(); ++i) {
    BERTH_ASSIGN_OR_RETURN(auto res,
                           registry::push_image(eng.store(), *client, imgs[i], refs[i], {}, ev));
    line(ev, refs[i].tag + ": digest: " + res.digest + " size: " + std::to_string(res.size));
    BERTH_TRY(eng.store().add_repo_digest(imgs[i].id, refs[i].name() + "@" + res.digest));
  }
  return {};
}

std::string server_display(const std::string& server) {
  return registry::auth_key(registry::normalize_server(server));
}

Result<LoginResult> login(const LoginRequest& req) {
  std::string domain = registry::normalize_server(req.server);
  auto opts = client_options(req.flags);
  registry::Credentials creds{req.username, req.password, ""};
  opts.credentials = creds;
  BERTH_ASSIGN_OR_RETURN(auto client,
                         registry::Client::connect(registry::host_for_domain(domain), opts));
  BERTH_TRY(client->verify_login());
  BERTH_ASSIGN_OR_RETURN(auto stored, registry::store_credentials(
                                          registry::AuthFiles::from_env(), domain, creds));
  return LoginResult{stored.plain_text, stored.path};
}

std::string stored_username(const std::string& server) {
  auto c = registry::lookup_credentials(registry::AuthFiles::from_env(),
                                        registry::normalize_server(server));
  return c.ok() && c->has_value() ? (*c)->username : "";
}

Result<bool> logout(const std::string& server) {
  return registry::erase_credentials(registry::AuthFiles::from_env(),
                                     registry::normalize_server(server));
}

Result<std::string> inspect_remote_manifest(const std::string& reference,
                                            const RegistryFlags& flags) {
  BERTH_ASSIGN_OR_RETURN(auto ref, image::parse_docker_ref(reference));
  auto ep = registry::endpoint_for(ref);
  BERTH_ASSIGN_OR_RETURN(auto client, registry::Client::connect(ep.host, client_options(flags)));
  auto m = client->get_manifest(ep.repository, ref.has_digest() ? ref.digest->str() : ref.tag);
  if (!m.ok()) {
    if (m.error().code() == Code::kNotFound)
      return not_found("no such manifest: " + ref.string());
    return std::move(m).error();
  }
  auto j = oci::Json::parse(m->bytes, nullptr, false);
  if (j.is_discarded()) return invalid_argument("manifest of " + ref.string() + " is not JSON");
  return j.dump(3);
}

}  // namespace berth::engine
