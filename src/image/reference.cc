#include "image/reference.h"

#include <utility>

#include "base/strings.h"

namespace berth::image {
namespace {

constexpr std::string_view kLegacyDefaultDomain = "index.docker.io";
constexpr std::string_view kOfficialRepoPrefix = "library/";
constexpr std::string_view kInvalidFormat = "invalid reference format";

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word(char c) { return is_alnum(c) || c == '_'; }
bool is_xdigit(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
bool valid_path_component(std::string_view s) {
  size_t i = 0;
  while (true) {
    size_t start = i;
    while (i < s.size() && is_lower_alnum(s[i])) ++i;
    if (i == start) return false;  // a separator must sit between alphanumerics
    if (i == s.size()) return true;
    if (s[i] == '.') {
      ++i;
    } else if (s[i] == '_') {
      i += (i + 1 < s.size() && s[i + 1] == '_') ? 2 : 1;
    } else if (s[i] == '-') {
      while (i < s.size() && s[i] == '-') ++i;
    } else {
      return false;
    }
  }
}

bool valid_path(std::string_view s) {
  for (const std::string& component : split(s, '/')) {
    if (!valid_path_component(component)) return false;
  }
  return true;
}

// `[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`
bool valid_domain_component(std::string_view s) {
  if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  for (char c : s) {
    if (!is_alnum(c) && c != '-') return false;
  }
  return true;
}

// host [":" port], host being DNS-like components or a bracketed IPv6 literal. Zone ids and
// IPv4-mapped forms are not allowed, as in Docker.
bool valid_domain(std::string_view s) {
  std::string_view host = s;
  std::string_view rest;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (char c : s.substr(1, close - 1)) {
      if (!is_xdigit(c) && c != ':') return false;
    }
    rest = s.substr(close + 1);
  } else {
    size_t colon = s.find(':');
    if (colon != std::string_view::npos) {
      host = s.substr(0, colon);
      rest = s.substr(colon);
    }
    for (const std::string& component : split(host, '.')) {
      if (!valid_domain_component(component)) return false;
    }
  }
  if (rest.empty()) return true;
  if (rest.front() != ':' || rest.size() == 1) return false;
  for (char c : rest.substr(1)) {
    if (!is_digit(c)) return false;
  }
  return true;
}

// `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`: the shape a reference
// accepts before digest::Digest::parse decides whether the digest is one berth supports.
bool valid_digest_shape(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view algorithm = s.substr(0, colon);
  std::string_view hex = s.substr(colon + 1);
  bool need_letter = true;
  for (char c : algorithm) {
    if (need_letter) {
      if (!is_alnum(c) || is_digit(c)) return false;
      need_letter = false;
    } else if (c == '-' || c == '_' || c == '+' || c == '.') {
      need_letter = true;
    } else if (!is_alnum(c)) {
      return false;
    }
  }
  if (need_letter || hex.size() < 32) return false;
  for (char c : hex) {
    if (!is_xdigit(c)) return false;
  }
  return true;
}

// A reference split into its parts, each checked against the grammar.
struct Parts {
  std::string_view domain, path, tag, digest;
};

// path [":" tag] ["@" digest]. Neither the path nor the tag may hold ':' or '@', so the first of
// each is the separator.
bool match_path_and_suffix(std::string_view s, Parts& out) {
  size_t at = s.find('@');
  if (at != std::string_view::npos) {
    out.digest = s.substr(at + 1);
    if (!valid_digest_shape(out.digest)) return false;
    s = s.substr(0, at);
  }
  size_t colon = s.find(':');
  if (colon != std::string_view::npos) {
    out.tag = s.substr(colon + 1);
    if (!is_valid_tag(out.tag)) return false;
    s = s.substr(0, colon);
  }
  out.path = s;
  return valid_path(s);
}

// The whole reference. Like Docker's regular expression, a leading "<domain>/" is taken when it
// leads to a match; otherwise the whole name must be a path.
bool match_reference(std::string_view s, Parts& out) {
  size_t slash = s.find('/');
  if (slash != std::string_view::npos && valid_domain(s.substr(0, slash))) {
    Parts parts;
    parts.domain = s.substr(0, slash);
    if (match_path_and_suffix(s.substr(slash + 1), parts)) {
      out = parts;
      return true;
    }
  }
  out = Parts{};
  return match_path_and_suffix(s, out);
}

// Docker's Parse, on an already normalized string.
Result<Reference> parse_reference(std::string_view s) {
  Parts parts;
  if (!match_reference(s, parts)) {
    std::string lower = to_lower(s);
    Parts ignored;
    if (lower != s && match_reference(lower, ignored)) {
      return invalid_argument("repository name must be lowercase");
    }
    return invalid_argument(std::string(kInvalidFormat));
  }
  if (parts.path.size() > kMaxPathLength) {
    return invalid_argument("repository name must not be more than " +
                            std::to_string(kMaxPathLength) + " characters");
  }
  Reference ref;
  ref.domain = parts.domain;
  ref.path = parts.path;
  ref.tag = parts.tag;
  if (!parts.digest.empty()) {
    BERTH_ASSIGN_OR_RETURN(ref.digest, digest::Digest::parse(parts.digest));
  }
  return ref;
}

struct DomainSplit {
  std::string domain, remainder;
};

// Docker's splitDockerDomain: decides whether the first element names a registry.
DomainSplit split_docker_domain(std::string_view name) {
  DomainSplit out;
  size_t slash = name.find('/');
  if (slash == std::string_view::npos) {
    // A single element is always a Docker Hub official image, even "localhost" or "example.com".
    return {std::string(kDefaultDomain), std::string(kOfficialRepoPrefix) + std::string(name)};
  }
  std::string_view first = name.substr(0, slash);
  std::string_view rest = name.substr(slash + 1);
  if (first == "localhost") {
    out = {std::string(first), std::string(rest)};
  } else if (first == kLegacyDefaultDomain) {
    out = {std::string(kDefaultDomain), std::string(rest)};
  } else if (first.find_first_of(".:") != std::string_view::npos) {
    out = {std::string(first), std::string(rest)};
  } else if (to_lower(first) != first) {
    // Paths are lowercase, so an uppercase first element can only be a host name.
    out = {std::string(first), std::string(rest)};
  } else {
    out = {std::string(kDefaultDomain), std::string(name)};
  }
  if (out.domain == kDefaultDomain && out.remainder.find('/') == std::string::npos) {
    out.remainder.insert(0, kOfficialRepoPrefix);
  }
  return out;
}

bool is_identifier(std::string_view s) { return s.size() == 64 && is_hex(s); }

std::string_view strip_sha256_prefix(std::string_view s) {
  constexpr std::string_view kPrefix = "sha256:";
  if (s.substr(0, kPrefix.size()) == kPrefix) s.remove_prefix(kPrefix.size());
  return s;
}

std::string suffix(const Reference& r) {
  std::string out;
  if (r.has_tag()) out += ":" + r.tag;
  if (r.has_digest()) out += "@" + r.digest->str();
  return out;
}

}  // namespace

std::string Reference::name() const {
  if (domain.empty()) return path;
  return domain + "/" + path;
}

std::string Reference::string() const { return name() + suffix(*this); }

std::string Reference::familiar_name() const {
  if (domain != kDefaultDomain) return name();
  std::string_view p = path;
  // Only single-level official names drop "library/": "library/a/b" keeps it, as in Docker.
  if (p.substr(0, kOfficialRepoPrefix.size()) == kOfficialRepoPrefix &&
      p.find('/', kOfficialRepoPrefix.size()) == std::string_view::npos) {
    p.remove_prefix(kOfficialRepoPrefix.size());
  }
  return std::string(p);
}

std::string Reference::familiar_string() const { return familiar_name() + suffix(*this); }

Result<Reference> parse_normalized_named(std::string_view s) {
  if (is_identifier(s)) {
    return invalid_argument("invalid repository name (" + std::string(s) +
                            "), cannot specify 64-byte hexadecimal strings");
  }
  DomainSplit split = split_docker_domain(s);
  // Checked before the grammar so the message names the offending path. Like Docker, everything
  // up to the first ':' counts, which can include an "@algo" part.
  std::string remote = split.remainder.substr(0, split.remainder.find(':'));
  if (to_lower(remote) != remote) {
    return invalid_argument("invalid reference format: repository name (" + remote +
                            ") must be lowercase");
  }
  return parse_reference(split.domain + "/" + split.remainder);
}

Reference with_default_tag(Reference r) {
  if (!r.has_tag() && !r.has_digest()) r.tag = std::string(kDefaultTag);
  return r;
}

Result<Reference> parse_docker_ref(std::string_view s) {
  BERTH_ASSIGN_OR_RETURN(Reference r, parse_normalized_named(s));
  // Docker pulls by digest when given both; the tag would only mislead.
  if (r.has_tag() && r.has_digest()) r.tag.clear();
  return with_default_tag(std::move(r));
}

bool is_valid_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128 || !is_word(tag.front())) return false;
  for (char c : tag) {
    if (!is_word(c) && c != '.' && c != '-') return false;
  }
  return true;
}

bool is_full_image_id(std::string_view s) { return is_identifier(strip_sha256_prefix(s)); }

bool could_be_id_prefix(std::string_view s) {
  s = strip_sha256_prefix(s);
  return !s.empty() && s.size() <= 64 && is_hex(s);
}

}  // namespace berth::image
