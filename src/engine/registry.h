// The engine's registry operations: pull, push, login, logout, remote manifest inspection.
// Free functions over Engine (the registry module itself knows nothing of the engine). They
// print nothing: lines and per-layer progress go to the caller's callback, in Docker's words.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/engine.h"
#include "registry/progress.h"

namespace berth::engine {

struct RegistryFlags {
  bool tls_verify = true;  // --tls-verify=false: HTTPS without verification, plain HTTP allowed
};

struct PullRequest {
  std::string reference;  // as typed: "busybox", "127.0.0.1:5000/app@sha256:..."
  std::string platform;   // "linux/arm64"; "" = native
  bool all_tags = false;
  RegistryFlags flags;
};

// Events with an empty id are whole lines ("latest: Pulling from library/busybox",
// "Digest: sha256:...", "Status: ..."); the others are per-layer statuses.
using EventFn = registry::ProgressFn;

// Pulls (Docker's semantics and messages) and returns the reference line Docker prints last
// ("docker.io/library/busybox:latest").
Result<std::string> pull_image(Engine& eng, const PullRequest& req, const EventFn& events);

struct PushRequest {
  std::string reference;  // local image name with the target repository: "127.0.0.1:5000/app:1"
  bool all_tags = false;
  RegistryFlags flags;
};

// Pushes; the last event of each tag is "<tag>: digest: sha256:... size: N".
Status push_image(Engine& eng, const PushRequest& req, const EventFn& events);

struct LoginRequest {
  std::string server;  // "" = Docker Hub
  std::string username, password;
  RegistryFlags flags;
};

struct LoginResult {
  bool plain_text = false;  // stored base64 in config.json (the CLI warns)
  std::string config_path;
};

// Checks the credentials against the registry, then stores them.
Result<LoginResult> login(const LoginRequest& req);
// The stored user name for a server, "" when none (login's prompt shows it).
std::string stored_username(const std::string& server);
// false when no credentials were stored for the server.
Result<bool> logout(const std::string& server);
// "https://index.docker.io/v1/" for Docker Hub, else the registry's domain: what login and
// logout messages name.
std::string server_display(const std::string& server);

// The manifest (or index) a remote reference names, as indented JSON.
Result<std::string> inspect_remote_manifest(const std::string& reference,
                                            const RegistryFlags& flags);

}  // namespace berth::engine
