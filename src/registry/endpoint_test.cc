#include "registry/endpoint.h"

#include <gtest/gtest.h>

#include "registry/client.h"
#include "registry/http.h"

namespace berth::registry {
namespace {

Endpoint ep(const std::string& s) { return endpoint_for(*image::parse_docker_ref(s)); }

TEST(Endpoint, DockerHubNamesMapToRegistry1AndLibrary) {
  auto e = ep("busybox");
  EXPECT_EQ(e.domain, "docker.io");
  EXPECT_EQ(e.host, "registry-1.docker.io");
  EXPECT_EQ(e.repository, "library/busybox");
  EXPECT_EQ(ep("index.docker.io/user/app:1").repository, "user/app");
  EXPECT_EQ(ep("index.docker.io/user/app:1").host, "registry-1.docker.io");
}

TEST(Endpoint, OtherRegistriesKeepHostAndPort) {
  auto e = ep("127.0.0.1:5000/team/app@sha256:" + std::string(64, 'a'));
  EXPECT_EQ(e.host, "127.0.0.1:5000");
  EXPECT_EQ(e.repository, "team/app");
  EXPECT_EQ(ep("us.gcr.io/acct/echo_service").host, "us.gcr.io");
  EXPECT_EQ(ep("localhost:5000/x").repository, "x");
}

TEST(Endpoint, ServerNamesNormalizeForLogin) {
  EXPECT_EQ(normalize_server(""), "docker.io");
  EXPECT_EQ(normalize_server("https://index.docker.io/v1/"), "docker.io");
  EXPECT_EQ(normalize_server("registry-1.docker.io"), "docker.io");
  EXPECT_EQ(normalize_server("https://localhost:5000/v2/"), "localhost:5000");
  EXPECT_EQ(normalize_server("Quay.IO"), "quay.io");
  EXPECT_EQ(auth_key("docker.io"), "https://index.docker.io/v1/");
  EXPECT_EQ(auth_key("127.0.0.1:5000"), "127.0.0.1:5000");
}

TEST(Endpoint, LocalHostsMayUsePlainHttp) {
  EXPECT_TRUE(is_local_host("localhost:5000"));
  EXPECT_TRUE(is_local_host("127.0.0.1:41234"));
  EXPECT_TRUE(is_local_host("127.1.2.3"));
  EXPECT_TRUE(is_local_host("[::1]:5000"));
  EXPECT_FALSE(is_local_host("128.0.0.1:5000"));
  EXPECT_FALSE(is_local_host("registry-1.docker.io"));
  EXPECT_FALSE(is_local_host("localhost.evil.com"));
}

TEST(RegistryError, FormatsDistributionErrorsAsDocker) {
  Response r;
  r.status = 404;
  r.body = R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]})";
  auto e = registry_error(r);
  EXPECT_EQ(e.message(), "manifest unknown: manifest unknown");
  EXPECT_EQ(e.code(), Code::kNotFound);
  r.status = 401;
  r.body = R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})";
  EXPECT_EQ(registry_error(r).message(), "unauthorized: authentication required");
  EXPECT_EQ(registry_error(r).code(), Code::kPermissionDenied);
  r.status = 500;
  r.body = "oops";
  EXPECT_EQ(registry_error(r).message(),
            "received unexpected HTTP status: 500 Internal Server Error");
  r.status = 401;
  r.body = R"({"details":"incorrect username or password"})";
  EXPECT_EQ(registry_error(r).message(), "unauthorized: incorrect username or password");
}

TEST(Http, GoMethodNames) {
  EXPECT_EQ(go_method("GET"), "Get");
  EXPECT_EQ(go_method("HEAD"), "Head");
  EXPECT_EQ(go_method("PATCH"), "Patch");
}

}  // namespace
}  // namespace berth::registry
