#include "registry/credentials.h"

#include <sys/stat.h>

#include <cstdlib>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/fs.h"
#include "registry/http.h"

namespace berth::registry {
namespace {

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = TempDir::create("/tmp", "berth-creds-");
    ASSERT_TRUE(t.ok());
    dir_ = std::make_unique<TempDir>(std::move(*t));
    files_.docker_config = path_join(dir_->path(), "docker/config.json");
    files_.containers_auth = path_join(dir_->path(), "containers/auth.json");
  }
  void write(const std::string& path, const std::string& data) {
    ASSERT_TRUE(mkdir_all(dirname(path)).ok());
    ASSERT_TRUE(atomic_write_file(path, data).ok());
  }
  nlohmann::json config() { return nlohmann::json::parse(*read_file(files_.docker_config)); }
  std::unique_ptr<TempDir> dir_;
  AuthFiles files_;
};

TEST(Basic, EncodeDecodeRoundTrip) {
  EXPECT_EQ(encode_basic("user", "pass"), "dXNlcjpwYXNz");
  auto up = decode_basic("dXNlcjpwYXNz");
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->first, "user");
  EXPECT_EQ(up->second, "pass");
  // Passwords may hold ':'; the user may not.
  auto c = decode_basic(encode_basic("u", "a:b:c"));
  EXPECT_EQ(c->second, "a:b:c");
  for (int len = 0; len < 6; ++len) {  // every padding length
    std::string pw(static_cast<size_t>(len), 'x');
    EXPECT_EQ(decode_basic(encode_basic("me", pw))->second, pw);
  }
  EXPECT_FALSE(decode_basic("bm9jb2xvbg==").ok());  // "nocolon"
  EXPECT_FALSE(decode_basic("!!!").ok());
}

TEST_F(CredentialsTest, NothingStoredIsNoError) {
  auto c = lookup_credentials(files_, "localhost:5000");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_FALSE(c->has_value());
}

TEST_F(CredentialsTest, StoreWritesDockerFormatAndKeepsOtherKeys) {
  write(files_.docker_config, R"({"psFormat": "table {{.ID}}", "auths": {"other.io": {"auth": "eDp5"}}})");
  auto r = store_credentials(files_, "127.0.0.1:5000", {"alice", "s3cret", ""});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->plain_text);
  auto j = config();
  EXPECT_EQ(j["psFormat"], "table {{.ID}}");
  EXPECT_EQ(j["auths"]["other.io"]["auth"], "eDp5");
  EXPECT_EQ(j["auths"]["127.0.0.1:5000"]["auth"], encode_basic("alice", "s3cret"));
  struct stat st;
  ASSERT_EQ(::stat(files_.docker_config.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto c = lookup_credentials(files_, "127.0.0.1:5000");
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->username, "alice");
  EXPECT_EQ((*c)->password, "s3cret");
}

TEST_F(CredentialsTest, DockerHubUsesTheIndexKey) {
  ASSERT_TRUE(store_credentials(files_, "docker.io", {"bob", "pw", ""}).ok());
  EXPECT_TRUE(config()["auths"].contains("https://index.docker.io/v1/"));
  EXPECT_TRUE(lookup_credentials(files_, "docker.io")->has_value());
  EXPECT_TRUE(lookup_credentials(files_, "registry-1.docker.io")->has_value());
  auto erased = erase_credentials(files_, "docker.io");
  ASSERT_TRUE(erased.ok());
  EXPECT_TRUE(*erased);
  EXPECT_FALSE(config()["auths"].contains("https://index.docker.io/v1/"));
  EXPECT_FALSE(*erase_credentials(files_, "docker.io"));
}

TEST_F(CredentialsTest, UrlKeysMatchTheirHost) {
  write(files_.docker_config,
        R"({"auths": {"https://myreg.example:5000/v2/": {"auth": ")" + encode_basic("u", "p") +
            R"("}}})");
  auto c = lookup_credentials(files_, "myreg.example:5000");
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->username, "u");
  // Storing again replaces the URL-spelled entry instead of adding a second one.
  ASSERT_TRUE(store_credentials(files_, "myreg.example:5000", {"v", "q", ""}).ok());
  EXPECT_EQ(config()["auths"].size(), 1u);
}

TEST_F(CredentialsTest, PodmanAuthJsonIsReadAfterConfigJson) {
  write(files_.containers_auth,
        R"({"auths": {"quay.io": {"auth": ")" + encode_basic("pod", "man") + R"("}}})");
  auto c = lookup_credentials(files_, "quay.io");
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->username, "pod");
}

TEST_F(CredentialsTest, BrokenConfigNamesTheFile) {
  write(files_.docker_config, "{not json");
  auto c = lookup_credentials(files_, "quay.io");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find(files_.docker_config), std::string::npos);
}

TEST_F(CredentialsTest, CredentialHelperProtocol) {
  // A helper that keeps one credential in a file, speaking Docker's protocol.
  std::string bin = path_join(dir_->path(), "bin");
  std::string store = path_join(dir_->path(), "helper-store");
  write(path_join(bin, "docker-credential-berthtest"),
        "#!/bin/sh\n"
        "case \"$1\" in\n"
        "store) cat > '" + store + "' ;;\n"
        "get) read url; if [ -s '" + store + "' ]; then "
        "sed 's/\"ServerURL\":\"[^\"]*\",//' '" + store + "'; else "
        "echo 'credentials not found in native keychain'; exit 1; fi ;;\n"
        "erase) rm -f '" + store + "' ;;\n"
        "esac\n");
  ASSERT_EQ(::chmod(path_join(bin, "docker-credential-berthtest").c_str(), 0755), 0);
  std::string old_path = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", (bin + ":" + old_path).c_str(), 1);
  write(files_.docker_config, R"({"credsStore": "berthtest"})");

  EXPECT_FALSE(lookup_credentials(files_, "127.0.0.1:5000")->has_value());
  auto r = store_credentials(files_, "127.0.0.1:5000", {"carol", "hunter2", ""});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(r->plain_text);
  // The password is in the helper, not in config.json.
  std::string cfg = *read_file(files_.docker_config);
  EXPECT_EQ(cfg.find(encode_basic("carol", "hunter2")), std::string::npos);
  EXPECT_EQ(cfg.find("hunter2"), std::string::npos);
  auto c = lookup_credentials(files_, "127.0.0.1:5000");
  ASSERT_TRUE(c.ok() && c->has_value()) << (c.ok() ? "" : c.error().message());
  EXPECT_EQ((*c)->username, "carol");
  EXPECT_EQ((*c)->password, "hunter2");
  EXPECT_TRUE(*erase_credentials(files_, "127.0.0.1:5000"));
  EXPECT_FALSE(path_exists(store));

  // credHelpers wins over credsStore; a missing helper is a clear error.
  write(files_.docker_config, R"({"credsStore": "berthtest", "credHelpers": {"x.io": "nosuch"}})");
  auto missing = lookup_credentials(files_, "x.io");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("docker-credential-nosuch"), std::string::npos);
  ::setenv("PATH", old_path.c_str(), 1);
}

TEST_F(CredentialsTest, CertsDirFilesForAHost) {
  std::string root = path_join(dir_->path(), "certs.d");
  write(path_join(root, "reg:5000/ca.crt"), "x");
  write(path_join(root, "reg:5000/extra.crt"), "x");
  write(path_join(root, "reg:5000/client.cert"), "x");
  write(path_join(root, "reg:5000/client.key"), "x");
  write(path_join(root, "other/ca.crt"), "x");
  auto t = tls_for_host("reg:5000", {root, "/nonexistent"}, true);
  EXPECT_EQ(t.ca_files.size(), 2u);
  EXPECT_EQ(t.client_cert, path_join(root, "reg:5000/client.cert"));
  EXPECT_EQ(t.client_key, path_join(root, "reg:5000/client.key"));
  EXPECT_TRUE(t.verify);
  EXPECT_TRUE(tls_for_host("nohost", {root}, false).ca_files.empty());
}

}  // namespace
}  // namespace berth::registry
