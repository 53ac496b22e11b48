// Image references, with Docker's grammar and normalization (distribution/reference).
//
//   reference := name [ ":" tag ] [ "@" digest ]
//   name      := [domain "/"] path
//   domain    := host [":" port]      host: DNS-like components ([a-zA-Z0-9] with inner '-')
//                                     joined by '.', or an IPv6 literal in brackets
//   path      := component ("/" component)*   component: [a-z0-9]+ joined by '.', '_', '__' or '-'+
//   tag       := [\w][\w.-]{0,127}
//   digest    := algorithm ":" hex    (hex of 32+ characters; then checked by digest::Digest)
//
// Normalization turns what users type into full names: "ubuntu" -> "docker.io/library/ubuntu",
// "user/app" -> "docker.io/user/app", "index.docker.io/x" -> "docker.io/library/x". The first
// path element is a registry domain when it contains '.' or ':', is "localhost", or has an
// uppercase letter; otherwise the name lives on Docker Hub.
//
// Every parse error is Code::kInvalidArgument and carries Docker's message text, so the CLI can
// print it as Docker does.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "digest/digest.h"

namespace berth::image {

inline constexpr std::string_view kDefaultDomain = "docker.io";
inline constexpr std::string_view kDefaultTag = "latest";
// Longest accepted path ("library/ubuntu"), the domain not counted.
inline constexpr size_t kMaxPathLength = 255;

struct Reference {
  // "docker.io", "localhost:5000", "[::1]:5000". Empty only in one corner Docker also keeps: a
  // first element that looks like a domain but is only valid as a path ("my_host.com/app").
  std::string domain;
  std::string path;  // "library/ubuntu"
  std::string tag;   // empty when the reference has no tag
  std::optional<digest::Digest> digest;

  // "docker.io/library/ubuntu"
  std::string name() const;
  // "docker.io/library/ubuntu:latest", "...ubuntu@sha256:<hex>", "...ubuntu:22.04@sha256:<hex>"
  std::string string() const;
  // What `docker images` shows: Docker Hub's domain and its "library/" prefix dropped:
  // "ubuntu", "myuser/app", "localhost:5000/app", "quay.io/x/y".
  std::string familiar_name() const;
  // familiar_name() with the tag and digest: "ubuntu:latest".
  std::string familiar_string() const;
  bool has_tag() const { return !tag.empty(); }
  bool has_digest() const { return digest.has_value(); }

  friend bool operator==(const Reference&, const Reference&) = default;
};

// Docker's ParseNormalizedNamed: parses and normalizes `s`, keeping its tag and digest as given and
// adding none. Errors (exact texts):
//   "invalid reference format"                                       anything off-grammar, "" too
//   "invalid reference format: repository name (<path>) must be lowercase"
//   "repository name must be lowercase"           uppercase only a path could hold ("A_b.io/x")
//   "repository name must not be more than 255 characters"
//   "invalid repository name (<s>), cannot specify 64-byte hexadecimal strings"
//   digest::Digest::parse's errors, for a digest of the right shape that does not validate.
Result<Reference> parse_normalized_named(std::string_view s);

// Docker's TagNameOnly: adds kDefaultTag when `r` has neither a tag nor a digest.
Reference with_default_tag(Reference r);

// Docker's ParseDockerRef: parse_normalized_named, then with_default_tag; a reference with both a
// tag and a digest keeps only the digest: "busybox:1@sha256:<hex>" becomes
// "docker.io/library/busybox@sha256:<hex>".
Result<Reference> parse_docker_ref(std::string_view s);

// Whether `tag` matches the tag grammar above.
bool is_valid_tag(std::string_view tag);

// 64 lowercase hex characters, optionally prefixed by "sha256:".
bool is_full_image_id(std::string_view s);
// 1 to 64 lowercase hex characters, optionally prefixed by "sha256:": what may name an image or
// container by id prefix.
bool could_be_id_prefix(std::string_view s);

}  // namespace berth::image
