#include "oci/runtime_spec.h"

#include <gtest/gtest.h>

#include "base/fs.h"

namespace berth::oci {
namespace {

std::string golden(const std::string& name) {
  auto r = read_file(std::string(BERTH_TESTDATA_DIR) + "/runtime/" + name);
  EXPECT_TRUE(r.ok()) << name;
  return r.ok() ? *r : std::string();
}

// runc_spec.json is the exact output of `runc spec` (runc 1.1.5).
TEST(RuntimeSpecTest, ExampleSpecIsWhatRuncSpecWrites) {
  EXPECT_EQ(serialize_runtime_spec(example_spec()), golden("runc_spec.json"));
}

TEST(RuntimeSpecTest, ParsesRuncSpecIntoExampleSpec) {
  auto spec = parse_runtime_spec(golden("runc_spec.json"));
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_EQ(*spec, example_spec());
  EXPECT_EQ(spec->process->args, std::vector<std::string>{"sh"});
  EXPECT_EQ(spec->mounts.at(2).options.at(4), "mode=0620");
  EXPECT_FALSE(spec->linux->resources->devices.at(0).major.has_value());
}

// full.json sets every field berth models, in Go's order: it must come back byte for byte.
TEST(RuntimeSpecTest, FullConfigRoundTripsByteForByte) {
  std::string text = golden("full.json");
  auto spec = parse_runtime_spec(text);
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_EQ(serialize_runtime_spec(*spec), text);
  auto again = parse_runtime_spec(serialize_runtime_spec(*spec));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *spec);
}

TEST(RuntimeSpecTest, FullConfigValues) {
  auto spec = parse_runtime_spec(golden("full.json"));
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  const Process& p = *spec->process;
  EXPECT_EQ(p.console_size, (Box{24, 80}));
  EXPECT_EQ(p.user.umask, 18u);
  EXPECT_EQ(p.user.additional_gids, (std::vector<uint32_t>{1000, 10, 4294967295u}));
  EXPECT_EQ(p.rlimits.at(1).hard, UINT64_MAX);
  EXPECT_EQ(p.oom_score_adj, -500);
  EXPECT_EQ(spec->hooks->prestart.at(0).timeout, 5);
  EXPECT_FALSE(spec->hooks->create_runtime.at(0).timeout.has_value());
  const Linux& l = *spec->linux;
  EXPECT_EQ(l.resources->memory->swap, -1);
  EXPECT_EQ(l.resources->memory->kernel, 0);  // present and zero, unlike absent
  EXPECT_EQ(l.resources->memory->disable_oom_killer, false);
  EXPECT_EQ(l.resources->cpu->quota, 150000);
  EXPECT_EQ(l.resources->devices.at(2).major, 136);
  EXPECT_FALSE(l.resources->devices.at(2).minor.has_value());
  EXPECT_EQ(l.namespaces.at(1).path, "/run/netns/abc");
  EXPECT_EQ(l.devices.at(0).file_mode, 0666u);
  EXPECT_FALSE(l.devices.at(1).file_mode.has_value());
  EXPECT_EQ(l.seccomp->at("defaultAction"), "SCMP_ACT_ERRNO");
  EXPECT_EQ(l.sysctl.at("net.ipv4.ip_forward"), "1");
  EXPECT_EQ(spec->mounts.at(2), (Mount{"/run", "", "", {}}));
}

TEST(RuntimeSpecTest, IgnoresUnknownFieldsAndNulls) {
  auto spec = parse_runtime_spec(R"({
    "ociVersion": "1.1.0", "vm": {"hypervisor": {}},
    "process": {"args": ["true"], "cwd": "/", "ioPriority": {"class": "IOPRIO_CLASS_IDLE"},
                "env": null, "user": {"uid": 5, "gid": 6, "username": null}},
    "linux": {"intelRdt": {"closID": "x"}, "personality": {"domain": "LINUX"},
              "resources": {"memory": {"limit": 100, "swap": null}, "unified": {"a": "b"}}}
  })");
  ASSERT_TRUE(spec.ok()) << spec.error().message();
  EXPECT_EQ(spec->oci_version, "1.1.0");
  EXPECT_TRUE(spec->process->env.empty());
  EXPECT_EQ(spec->process->user.uid, 5u);
  EXPECT_EQ(spec->process->user.gid, 6u);
  EXPECT_EQ(spec->linux->resources->memory->limit, 100);
  EXPECT_FALSE(spec->linux->resources->memory->swap.has_value());
  EXPECT_FALSE(spec->root.has_value());
}

TEST(RuntimeSpecTest, InvalidUtf8IsReplacedNotThrown) {
  RuntimeSpec s;
  s.oci_version = kOciVersion;
  s.hostname = "a\xff";
  EXPECT_EQ(serialize_runtime_spec(s),
            "{\n\t\"ociVersion\": \"1.0.2-dev\",\n\t\"hostname\": \"a\xEF\xBF\xBD\"\n}");
}

TEST(RuntimeSpecTest, MinimalSpecSerializesOnlyWhatIsSet) {
  RuntimeSpec s;
  s.oci_version = kOciVersion;
  s.process = Process{};
  s.process->args = {"true"};
  s.process->cwd = "/";
  EXPECT_EQ(
      serialize_runtime_spec(s),
      "{\n\t\"ociVersion\": \"1.0.2-dev\",\n\t\"process\": {\n\t\t\"user\": {\n\t\t\t\"uid\": "
      "0,\n\t\t\t\"gid\": 0\n\t\t},\n\t\t\"args\": [\n\t\t\t\"true\"\n\t\t],\n\t\t\"cwd\": "
      "\"/\"\n\t}\n}");
}

struct BadCase {
  const char* json;
  const char* error;
};

class RuntimeSpecErrorTest : public testing::TestWithParam<BadCase> {};

TEST_P(RuntimeSpecErrorTest, NamesTheField) {
  auto spec = parse_runtime_spec(GetParam().json);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(spec.error().message(), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Errors, RuntimeSpecErrorTest,
    testing::Values(
        BadCase{"{", "config.json: not valid JSON"},
        BadCase{"[]", "config.json: must be a JSON object"},
        BadCase{"{}", "config.json: ociVersion: must be a string"},
        BadCase{R"({"ociVersion": 1})", "config.json: ociVersion: must be a string"},
        BadCase{R"({"ociVersion": "1", "process": {"cwd": "/"}})",
                "config.json: process.args: must be a non-empty array of strings"},
        BadCase{R"({"ociVersion": "1", "process": {"args": []}})",
                "config.json: process.args: must be a non-empty array of strings"},
        BadCase{R"({"ociVersion": "1", "process": {"args": ["a", 2]}})",
                "config.json: process.args: must be an array of strings"},
        BadCase{R"({"ociVersion": "1", "process": []})", "config.json: process: must be an object"},
        BadCase{R"({"ociVersion": "1", "process": {"args": ["a"], "terminal": "yes"}})",
                "config.json: process.terminal: must be a boolean"},
        BadCase{R"({"ociVersion": "1", "process": {"args": ["a"], "user": {"uid": -1}}})",
                "config.json: process.user.uid: must be an unsigned 32-bit integer"},
        BadCase{R"({"ociVersion": "1", "process": {"args": ["a"], "user": {"gid": 4294967296}}})",
                "config.json: process.user.gid: must be an unsigned 32-bit integer"},
        BadCase{R"({"ociVersion": "1", "process": {"args": ["a"], "user": {"uid": 1.5}}})",
                "config.json: process.user.uid: must be an unsigned 32-bit integer"},
        BadCase{R"({"ociVersion": "1", "process": {"args": ["a"], "rlimits": [{"hard": 1}]}})",
                "config.json: process.rlimits[0].type: must be a non-empty string"},
        BadCase{R"({"ociVersion": "1", "process": {"args": ["a"], "oomScoreAdj": "0"}})",
                "config.json: process.oomScoreAdj: must be a 32-bit integer"},
        BadCase{R"({"ociVersion": "1", "root": {"readonly": true}})",
                "config.json: root.path: must be a non-empty string"},
        BadCase{R"({"ociVersion": "1", "mounts": [{"destination": "/a"}, {"type": "tmpfs"}]})",
                "config.json: mounts[1].destination: must be a non-empty string"},
        BadCase{R"({"ociVersion": "1", "mounts": {}})", "config.json: mounts: must be an array"},
        BadCase{R"({"ociVersion": "1", "hooks": {"poststop": [{"path": "/x", "timeout": 0}]}})",
                "config.json: hooks.poststop[0].timeout: must be greater than zero"},
        BadCase{R"({"ociVersion": "1", "annotations": {"a": 1}})",
                "config.json: annotations.a: must be a string"},
        BadCase{R"({"ociVersion": "1", "linux": {"namespaces": [{"type": "foo"}]}})",
                "config.json: linux.namespaces[0].type: unknown namespace type \"foo\""},
        BadCase{R"({"ociVersion": "1", "linux": {"resources": {"memory": {"limit": "1g"}}}})",
                "config.json: linux.resources.memory.limit: must be a 64-bit integer"},
        BadCase{R"({"ociVersion": "1", "linux": {"resources": {"blockIO": {"weight": 70000}}}})",
                "config.json: linux.resources.blockIO.weight: must be an unsigned 16-bit integer"},
        BadCase{R"({"ociVersion": "1", "linux": {"devices": [{"path": "/dev/x", "major": 1}]}})",
                "config.json: linux.devices[0].type: must be a non-empty string"},
        BadCase{R"({"ociVersion": "1", "linux": {"seccomp": []}})",
                "config.json: linux.seccomp: must be an object"}));

}  // namespace
}  // namespace berth::oci
