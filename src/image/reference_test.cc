#include "image/reference.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth::image {
namespace {

const std::string kHex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string kDigest = "sha256:" + kHex;
const std::string kDigest512 = "sha512:" + std::string(128, 'c');

struct ValidCase {
  std::string input;
  std::string domain, path, tag, digest;  // digest "" when none
  std::string string;                     // Reference::string()
  std::string familiar;                   // Reference::familiar_string()
};

const std::vector<ValidCase>& valid_cases() {
  static const std::vector<ValidCase> cases = {
      {"ubuntu", "docker.io", "library/ubuntu", "", "", "docker.io/library/ubuntu", "ubuntu"},
      {"ubuntu:22.04", "docker.io", "library/ubuntu", "22.04", "", "docker.io/library/ubuntu:22.04",
       "ubuntu:22.04"},
      {"docker.io/library/ubuntu:latest", "docker.io", "library/ubuntu", "latest", "",
       "docker.io/library/ubuntu:latest", "ubuntu:latest"},
      {"docker.io/ubuntu", "docker.io", "library/ubuntu", "", "", "docker.io/library/ubuntu",
       "ubuntu"},
      {"index.docker.io/library/ubuntu", "docker.io", "library/ubuntu", "", "",
       "docker.io/library/ubuntu", "ubuntu"},
      {"index.docker.io/ubuntu", "docker.io", "library/ubuntu", "", "", "docker.io/library/ubuntu",
       "ubuntu"},
      {"myuser/app", "docker.io", "myuser/app", "", "", "docker.io/myuser/app", "myuser/app"},
      {"docker.io/library/a/b", "docker.io", "library/a/b", "", "", "docker.io/library/a/b",
       "library/a/b"},
      {"localhost:5000/a/b:t", "localhost:5000", "a/b", "t", "", "localhost:5000/a/b:t",
       "localhost:5000/a/b:t"},
      {"localhost/app", "localhost", "app", "", "", "localhost/app", "localhost/app"},
      // A single element is always an official Docker Hub name, even one that looks like a host.
      {"localhost", "docker.io", "library/localhost", "", "", "docker.io/library/localhost",
       "localhost"},
      {"localhost:5000", "docker.io", "library/localhost", "5000", "",
       "docker.io/library/localhost:5000", "localhost:5000"},
      {"example.com", "docker.io", "library/example.com", "", "", "docker.io/library/example.com",
       "example.com"},
      {"127.0.0.1:5000/x", "127.0.0.1:5000", "x", "", "", "127.0.0.1:5000/x", "127.0.0.1:5000/x"},
      {"[::1]:5000/x", "[::1]:5000", "x", "", "", "[::1]:5000/x", "[::1]:5000/x"},
      {"[2001:DB8::1]/team/x:v1", "[2001:DB8::1]", "team/x", "v1", "", "[2001:DB8::1]/team/x:v1",
       "[2001:DB8::1]/team/x:v1"},
      {"us.gcr.io/acct/echo_service", "us.gcr.io", "acct/echo_service", "", "",
       "us.gcr.io/acct/echo_service", "us.gcr.io/acct/echo_service"},
      {"quay.io/x/y:v1.2-rc_3", "quay.io", "x/y", "v1.2-rc_3", "", "quay.io/x/y:v1.2-rc_3",
       "quay.io/x/y:v1.2-rc_3"},
      {"sub-domain.example.com:443/team/app", "sub-domain.example.com:443", "team/app", "", "",
       "sub-domain.example.com:443/team/app", "sub-domain.example.com:443/team/app"},
      {"name@" + kDigest, "docker.io", "library/name", "", kDigest,
       "docker.io/library/name@" + kDigest, "name@" + kDigest},
      {"name:tag@" + kDigest, "docker.io", "library/name", "tag", kDigest,
       "docker.io/library/name:tag@" + kDigest, "name:tag@" + kDigest},
      {"reg.io/a/b@" + kDigest512, "reg.io", "a/b", "", kDigest512, "reg.io/a/b@" + kDigest512,
       "reg.io/a/b@" + kDigest512},
      // Separators: one '.', one or two '_', any run of '-'. Tags may hold uppercase.
      {"a__b/c---d/e.f_g:T_ag.1-x", "docker.io", "a__b/c---d/e.f_g", "T_ag.1-x", "",
       "docker.io/a__b/c---d/e.f_g:T_ag.1-x", "a__b/c---d/e.f_g:T_ag.1-x"},
      // An uppercase first element can only be a host name.
      {"Foo/bar", "Foo", "bar", "", "", "Foo/bar", "Foo/bar"},
      // Looks like a domain ('.') but is only valid as a path: Docker keeps it with no domain.
      {"my_host.com/app", "", "my_host.com/app", "", "", "my_host.com/app", "my_host.com/app"},
      // 63 hex characters are a name; only exactly 64 are refused as an id.
      {kHex.substr(1), "docker.io", "library/" + kHex.substr(1), "", "",
       "docker.io/library/" + kHex.substr(1), kHex.substr(1)},
      {"a:" + std::string(128, 't'), "docker.io", "library/a", std::string(128, 't'), "",
       "docker.io/library/a:" + std::string(128, 't'), "a:" + std::string(128, 't')},
      // "library/" + 247 characters: exactly the 255-character limit.
      {std::string(247, 'a'), "docker.io", "library/" + std::string(247, 'a'), "", "",
       "docker.io/library/" + std::string(247, 'a'), std::string(247, 'a')},
  };
  return cases;
}

TEST(Reference, ParsesValidTable) {
  for (const ValidCase& c : valid_cases()) {
    SCOPED_TRACE(c.input);
    auto r = parse_normalized_named(c.input);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->domain, c.domain);
    EXPECT_EQ(r->path, c.path);
    EXPECT_EQ(r->tag, c.tag);
    EXPECT_EQ(r->has_tag(), !c.tag.empty());
    EXPECT_EQ(r->has_digest(), !c.digest.empty());
    EXPECT_EQ(r->has_digest() ? r->digest->str() : "", c.digest);
    EXPECT_EQ(r->string(), c.string);
    EXPECT_EQ(r->familiar_string(), c.familiar);
    EXPECT_EQ(r->name(), c.domain.empty() ? c.path : c.domain + "/" + c.path);
    // The normalized string parses back to the same reference.
    auto again = parse_normalized_named(r->string());
    ASSERT_TRUE(again.ok()) << again.error().message();
    EXPECT_EQ(*again, *r);
  }
}

TEST(Reference, FamiliarName) {
  auto name = [](std::string_view s) { return parse_normalized_named(s)->familiar_name(); };
  EXPECT_EQ(name("docker.io/library/ubuntu:22.04"), "ubuntu");
  EXPECT_EQ(name("myuser/app@" + kDigest), "myuser/app");
  EXPECT_EQ(name("localhost:5000/app"), "localhost:5000/app");
  EXPECT_EQ(name("quay.io/x/y"), "quay.io/x/y");
  EXPECT_EQ(name("quay.io/library/y"), "quay.io/library/y");
}

struct InvalidCase {
  std::string input;
  std::string error;
};

TEST(Reference, RejectsInvalidTable) {
  const std::string kFormat = "invalid reference format";
  const std::vector<InvalidCase> cases = {
      {"", kFormat},
      {"Foo", "invalid reference format: repository name (library/Foo) must be lowercase"},
      {"user/Repo:tag", "invalid reference format: repository name (user/Repo) must be lowercase"},
      {"localhost:5000/Foo", "invalid reference format: repository name (Foo) must be lowercase"},
      // Docker takes everything before the first ':' as the name, digest algorithm included.
      {"Foo@" + kDigest,
       "invalid reference format: repository name (library/Foo@sha256) must be lowercase"},
      // Valid only once lowercased, in a place the early check does not look at.
      {"A_b.io/x", "repository name must be lowercase"},
      {":tag", kFormat},
      {"a:b:c", kFormat},
      {"a:", kFormat},
      {"a/", kFormat},
      {"/a", kFormat},
      {"a//b", kFormat},
      {"-abc", kFormat},
      {"abc-", kFormat},
      {"abc.", kFormat},
      {"a..b", kFormat},
      {"a___b", kFormat},
      {"a._b", kFormat},
      {"a b", kFormat},
      {"example.com/foo bar", kFormat},
      {"a:" + std::string(129, 't'), kFormat},
      {"a:.tag", kFormat},
      {"a:-tag", kFormat},
      {"a:t/x", kFormat},
      {"example.com:abc/x", kFormat},
      {"example.com:/x", kFormat},
      {"-example.com/x", kFormat},
      {"[::1/x", kFormat},
      {"[fe80::1%eth0]:5000/x", kFormat},
      {"[]:5000/x", kFormat},
      {"a@", kFormat},
      {"a@sha256:zz", kFormat},
      {"a@sha256:" + std::string(31, 'a'), kFormat},
      {"a@b@" + kDigest, kFormat},
      {"a@1sha:" + std::string(32, 'a'), kFormat},
      {"a@sha256:" + std::string(32, 'a'), "invalid checksum digest length"},
      {"a@sha256:" + std::string(64, 'A'), "invalid checksum digest format"},
      {"a@md5:" + std::string(32, 'a'), "unsupported digest algorithm: md5"},
      {kHex, "invalid repository name (" + kHex + "), cannot specify 64-byte hexadecimal strings"},
      {std::string(248, 'a'), "repository name must not be more than 255 characters"},
      {"x/" + std::string(254, 'b'), "repository name must not be more than 255 characters"},
  };
  for (const InvalidCase& c : cases) {
    SCOPED_TRACE(c.input);
    auto r = parse_normalized_named(c.input);
    ASSERT_FALSE(r.ok()) << r->string();
    EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.error().message(), c.error);
  }
}

TEST(Reference, WithDefaultTag) {
  EXPECT_EQ(with_default_tag(*parse_normalized_named("ubuntu")).string(),
            "docker.io/library/ubuntu:latest");
  EXPECT_EQ(with_default_tag(*parse_normalized_named("ubuntu:22.04")).string(),
            "docker.io/library/ubuntu:22.04");
  EXPECT_EQ(with_default_tag(*parse_normalized_named("ubuntu@" + kDigest)).string(),
            "docker.io/library/ubuntu@" + kDigest);
}

TEST(Reference, ParseDockerRef) {
  auto str = [](std::string_view s) {
    auto r = parse_docker_ref(s);
    return r.ok() ? r->string() : "error: " + r.error().message();
  };
  EXPECT_EQ(str("ubuntu"), "docker.io/library/ubuntu:latest");
  EXPECT_EQ(str("myuser/app:v2"), "docker.io/myuser/app:v2");
  EXPECT_EQ(str("busybox@" + kDigest), "docker.io/library/busybox@" + kDigest);
  // Tag and digest together: only the digest is kept.
  EXPECT_EQ(str("docker.io/library/busybox:latest@" + kDigest),
            "docker.io/library/busybox@" + kDigest);
  EXPECT_EQ(str("localhost:5000/a:1@" + kDigest), "localhost:5000/a@" + kDigest);
  EXPECT_EQ(str("Foo"),
            "error: invalid reference format: repository name (library/Foo) must be lowercase");
  auto r = parse_docker_ref("quay.io/x/y");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->familiar_string(), "quay.io/x/y:latest");
  EXPECT_EQ(r->tag, "latest");
}

TEST(Reference, IsValidTag) {
  EXPECT_TRUE(is_valid_tag("latest"));
  EXPECT_TRUE(is_valid_tag("_x"));
  EXPECT_TRUE(is_valid_tag("V1.0-rc.1"));
  EXPECT_TRUE(is_valid_tag(std::string(128, 'a')));
  EXPECT_FALSE(is_valid_tag(""));
  EXPECT_FALSE(is_valid_tag(".x"));
  EXPECT_FALSE(is_valid_tag("-x"));
  EXPECT_FALSE(is_valid_tag("a:b"));
  EXPECT_FALSE(is_valid_tag(std::string(129, 'a')));
}

TEST(ImageId, FullId) {
  EXPECT_TRUE(is_full_image_id(kHex));
  EXPECT_TRUE(is_full_image_id(kDigest));
  EXPECT_FALSE(is_full_image_id(kHex.substr(1)));
  EXPECT_FALSE(is_full_image_id(kHex + "0"));
  EXPECT_FALSE(is_full_image_id("sha512:" + kHex));
  EXPECT_FALSE(is_full_image_id("sha256:" + std::string(64, 'A')));
  EXPECT_FALSE(is_full_image_id(""));
}

TEST(ImageId, Prefix) {
  EXPECT_TRUE(could_be_id_prefix("e"));
  EXPECT_TRUE(could_be_id_prefix("e3b0c442"));
  EXPECT_TRUE(could_be_id_prefix("sha256:e3b0"));
  EXPECT_TRUE(could_be_id_prefix(kHex));
  EXPECT_TRUE(could_be_id_prefix(kDigest));
  EXPECT_FALSE(could_be_id_prefix(""));
  EXPECT_FALSE(could_be_id_prefix("sha256:"));
  EXPECT_FALSE(could_be_id_prefix(kHex + "0"));
  EXPECT_FALSE(could_be_id_prefix("E3B0"));
  EXPECT_FALSE(could_be_id_prefix("ubuntu"));
  EXPECT_FALSE(could_be_id_prefix("sha512:e3b0"));
}

}  // namespace
}  // namespace berth::image
