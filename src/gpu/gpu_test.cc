// Unit tests for --gpus parsing, CDI specs and NVIDIA discovery on a fake driver tree.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "base/fs.h"
#include "gpu/elf.h"
#include "gpu/gpu.h"
#include "gpu/nvidia.h"

namespace berth::gpu {
namespace {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/berth-gpu-test.XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { (void)remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string write(const std::string& rel, const std::string& text) const {
    std::string p = path_join(path_, rel);
    EXPECT_TRUE(mkdir_all(dirname(p)).ok());
    EXPECT_TRUE(atomic_write_file(p, text).ok());
    return p;
  }

 private:
  std::string path_;
};

TEST(ParseGpus, AllCountAndDevices) {
  auto all = parse_gpus("all");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->count, -1);
  EXPECT_EQ(all->capabilities, (std::vector<std::vector<std::string>>{{"gpu"}}));
  EXPECT_EQ(parse_gpus("2")->count, 2);
  EXPECT_EQ(parse_gpus("count=all")->count, -1);
  auto dev = parse_gpus("\"device=0,GPU-abc\"");
  ASSERT_TRUE(dev.ok());
  EXPECT_EQ(dev->count, 0);
  EXPECT_EQ(dev->device_ids, (std::vector<std::string>{"0", "GPU-abc"}));
  // Unquoted, "utility" stands alone as a bare count field: Docker rejects it the same way.
  EXPECT_NE(parse_gpus("driver=nvidia,capabilities=compute,utility").error().message().find(
                "invalid count (utility)"),
            std::string::npos);
  auto quoted = parse_gpus("driver=nvidia,\"capabilities=compute,utility\",count=1");
  ASSERT_TRUE(quoted.ok());
  EXPECT_EQ(quoted->driver, "nvidia");
  EXPECT_EQ(quoted->capabilities,
            (std::vector<std::vector<std::string>>{{"compute", "utility", "gpu"}}));
  EXPECT_EQ(parse_gpus("device=1")->count, 0);
  EXPECT_EQ(parse_gpus("driver=nvidia")->count, 1);  // neither count nor device: one GPU
}

TEST(ParseGpus, DockerErrors) {
  EXPECT_EQ(parse_gpus("foo=bar").error().message(), "unexpected key 'foo' in 'foo=bar'");
  EXPECT_EQ(parse_gpus("count=2,device=0").error().message(),
            "cannot set both Count and DeviceIDs on device request");
  EXPECT_NE(parse_gpus("many").error().message().find("invalid count (many)"), std::string::npos);
  EXPECT_EQ(parse_gpus("count=1,count=2").error().message(),
            "gpu request key 'count' can be specified only once");
  EXPECT_FALSE(parse_gpus("\"device=0").ok());
}

TEST(ParseGpus, InspectJson) {
  auto j = to_json(*parse_gpus("all"));
  EXPECT_EQ(j.dump(),
            R"({"Driver":"","Count":-1,"DeviceIDs":null,"Capabilities":[["gpu"]],"Options":{}})");
  auto back = from_json(nlohmann::json::parse(to_json(*parse_gpus("\"device=0,1\"")).dump()));
  EXPECT_EQ(back.device_ids, (std::vector<std::string>{"0", "1"}));
}

TEST(CdiName, Shapes) {
  EXPECT_TRUE(is_cdi_name("nvidia.com/gpu=0"));
  EXPECT_TRUE(is_cdi_name("vendor.example.com/fpga=all"));
  EXPECT_TRUE(is_cdi_name("nvidia.com/gpu=GPU-3a1b:MIG-1"));
  EXPECT_FALSE(is_cdi_name("/dev/fuse"));
  EXPECT_FALSE(is_cdi_name("/dev/sda:/dev/xvda:rwm"));
  EXPECT_FALSE(is_cdi_name("nvidia.com/gpu"));
  EXPECT_FALSE(is_cdi_name("nvidia.com/=0"));
  EXPECT_FALSE(is_cdi_name("nvidia.com/gpu="));
  auto n = parse_cdi_name("nvidia.com/gpu=1");
  EXPECT_EQ(n->kind, "nvidia.com/gpu");
  EXPECT_EQ(n->name, "1");
}

constexpr const char* kYamlSpec = R"(cdiVersion: 0.6.0
kind: example.com/accel
containerEdits:
  env: [ACCEL_RUNTIME=1]
  deviceNodes:
    - path: /dev/accelctl
  hooks:
    - hookName: createContainer
      path: /usr/bin/accel-hook
      args: [accel-hook, update-ldcache]
devices:
  - name: "0"
    containerEdits:
      deviceNodes:
        - path: /dev/accel0
          hostPath: /dev/real-accel0
          type: c
          major: 195
          minor: 0
          fileMode: 0666
          permissions: rw
      mounts:
        - hostPath: /opt/accel/lib/libaccel.so.1
          containerPath: /usr/lib/libaccel.so.1
          options: [ro, nosuid, nodev, bind]
  - name: "1"
    containerEdits:
      deviceNodes:
        - path: /dev/accel1
      env: [ACCEL_VISIBLE=1]
)";

TEST(CdiSpec, ParsesYamlEveryField) {
  auto s = parse_cdi_spec(kYamlSpec, "/etc/cdi/accel.yaml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->kind, "example.com/accel");
  ASSERT_EQ(s->devices.size(), 2u);
  const auto& n = s->devices[0].edits.device_nodes.at(0);
  EXPECT_EQ(n.path, "/dev/accel0");
  EXPECT_EQ(n.host_path, "/dev/real-accel0");
  EXPECT_EQ(n.major, 195);
  EXPECT_EQ(n.file_mode, 0666u);  // YAML 1.1 octal
  EXPECT_EQ(n.permissions, "rw");
  EXPECT_EQ(s->devices[0].edits.mounts.at(0).options,
            (std::vector<std::string>{"ro", "nosuid", "nodev", "bind"}));
  EXPECT_EQ(s->edits.hooks.at(0).hook_name, "createContainer");
  EXPECT_EQ(s->edits.hooks.at(0).args.size(), 2u);
}

TEST(CdiSpec, ParsesJsonAndNamesTheFileOnErrors) {
  auto j = parse_cdi_spec(
      R"({"cdiVersion":"0.5.0","kind":"x.io/y","devices":[{"name":"a","containerEdits":{"env":["A=1"]}}]})",
      "/etc/cdi/y.json");
  ASSERT_TRUE(j.ok()) << j.error().message();
  EXPECT_EQ(j->devices[0].edits.env, std::vector<std::string>{"A=1"});

  auto no_kind = parse_cdi_spec("cdiVersion: 0.6.0\nkind: nope\ndevices: [{name: a}]\n", "/s.yaml");
  EXPECT_NE(no_kind.error().message().find("/s.yaml: kind \"nope\""), std::string::npos);
  auto bad_node = parse_cdi_spec(
      "cdiVersion: 0.6.0\nkind: a.com/b\ndevices:\n  - name: a\n    containerEdits:\n"
      "      deviceNodes: [{path: dev/x}]\n",
      "/s.yaml");
  EXPECT_NE(bad_node.error().message().find("devices[0].containerEdits.deviceNodes[0].path"),
            std::string::npos);
  auto syntax = parse_cdi_spec("cdiVersion: [\n", "/broken.yaml");
  EXPECT_EQ(syntax.error().message().rfind("/broken.yaml:", 0), 0u);
  auto dup = parse_cdi_spec("cdiVersion: 0.6.0\nkind: a.com/b\ndevices: [{name: a}, {name: a}]\n",
                            "/d.yaml");
  EXPECT_NE(dup.error().message().find("appears twice"), std::string::npos);
}

TEST(CdiRegistry, ResolvesWithPriorityCommonEditsOnceAndAll) {
  TempDir etc, run;
  etc.write("accel.yaml", kYamlSpec);
  etc.write("broken.yaml", "cdiVersion: 0.6.0\nkind: bad\n");
  etc.write("notes.txt", "ignored");
  // The same kind in the higher-priority directory redefines device "1".
  run.write("accel-override.json",
            R"({"cdiVersion":"0.6.0","kind":"example.com/accel","devices":[{"name":"1","containerEdits":{"env":["OVERRIDDEN=1"]}}]})");
  auto reg = CdiRegistry::load({etc.path(), run.path(), "/nonexistent-dir"});
  ASSERT_EQ(reg.errors().size(), 1u);
  EXPECT_NE(reg.errors()[0].find("broken.yaml"), std::string::npos);
  EXPECT_TRUE(reg.has_kind("example.com/accel"));
  EXPECT_EQ(reg.device_names(),
            (std::vector<std::string>{"example.com/accel=0", "example.com/accel=1"}));

  auto one = reg.resolve({"example.com/accel=1"});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->env, std::vector<std::string>{"OVERRIDDEN=1"});  // no common edits of etc's spec

  auto both = reg.resolve({"example.com/accel=0", "example.com/accel=0"});
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->env, std::vector<std::string>{"ACCEL_RUNTIME=1"});
  EXPECT_EQ(both->device_nodes.size(), 2u);  // accelctl once, accel0
  EXPECT_EQ(both->hooks.size(), 1u);

  auto all = reg.resolve({"example.com/accel=all"});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->device_nodes.size(), 2u);  // accelctl, accel0 (device 1 is the override's)
  EXPECT_NE(std::find(all->env.begin(), all->env.end(), "OVERRIDDEN=1"), all->env.end());

  auto missing = reg.resolve({"example.com/accel=7", "other.com/x=0"});
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
  EXPECT_EQ(missing.error().message(),
            "unresolvable CDI devices example.com/accel=7, other.com/x=0");
}

TEST(Elf, SonameOfARealLibraryAndErrors) {
  // zlib is linked into berth, so the host has it.
  const char* candidates[] = {"/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1",
                              "/lib64/libz.so.1", "/usr/lib64/libz.so.1"};
  std::string lib;
  for (const char* c : candidates)
    if (::access(c, R_OK) == 0) lib = c;
  ASSERT_FALSE(lib.empty()) << "no libz.so.1 on this host";
  auto so = elf_soname(lib);
  ASSERT_TRUE(so.ok()) << so.error().message();
  EXPECT_EQ(*so, "libz.so.1");

  TempDir t;
  EXPECT_EQ(elf_soname(t.write("text", "not an elf")).error().code(), Code::kInvalidArgument);
  auto whole = read_file(lib);
  ASSERT_TRUE(whole.ok());
  EXPECT_FALSE(elf_soname(t.write("cut", whole->substr(0, 200))).ok());  // truncated: no crash
  EXPECT_EQ(elf_soname(t.path() + "/absent").error().code(), Code::kNotFound);
}

// A fake driver tree: two GPUs, the control nodes, libraries (one by an absolute symlink that
// must resolve inside the tree) and nvidia-smi.
struct FakeDriver {
  TempDir t;
  FakeDriver() {
    t.write("proc/driver/nvidia/version",
            "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.1.2  Tue Jan 1 2026\nGCC version: x\n");
    t.write("proc/driver/nvidia/gpus/0000:02:00.0/information",
            "Model: \t\t NVIDIA H200\nGPU UUID: \t GPU-bbbb-2222\nDevice Minor: \t 1\n");
    t.write("proc/driver/nvidia/gpus/0000:01:00.0/information",
            "Model: \t\t NVIDIA H200\nGPU UUID: \t GPU-aaaa-1111\nDevice Minor: \t 0\n");
    for (const char* n : {"dev/nvidiactl", "dev/nvidia-uvm", "dev/nvidia0", "dev/nvidia1"}) t.write(n, "");
    t.write("usr/lib/x86_64-linux-gnu/libcuda.so.580.1.2", "fake");
    t.write("opt/drv/lib/libnvidia-ml.so.580.1.2", "fake");
    t.write("etc/ld.so.conf.d/drv.conf", "# a comment\n/opt/drv/lib\n");
    // An absolute link: inside the tree it means <root>/opt/drv/lib/..., never the host's.
    EXPECT_EQ(::symlink("/opt/drv/lib/libnvidia-ml.so.580.1.2",
                        path_join(t.path(), "opt/drv/lib/libnvidia-ml.so.1").c_str()), 0);
    t.write("usr/bin/nvidia-smi", "#!/bin/sh\necho fake\n");
  }
  std::string root() const { return t.path(); }
};

TEST(Nvidia, DiscoversGpusInBusOrder) {
  FakeDriver f;
  auto d = discover_nvidia(f.root());
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->version, "580.1.2");
  ASSERT_EQ(d->gpus.size(), 2u);
  EXPECT_EQ(d->gpus[0].uuid, "GPU-aaaa-1111");
  EXPECT_EQ(d->gpus[0].minor, 0);
  EXPECT_EQ(d->gpus[1].bus_id, "0000:02:00.0");

  TempDir empty;
  EXPECT_EQ(discover_nvidia(empty.path()).error().code(), Code::kNotFound);
}

TEST(Nvidia, SelectsByCountIndexAndUuid) {
  FakeDriver f;
  auto d = *discover_nvidia(f.root());
  EXPECT_EQ(select_gpus(d, *parse_gpus("all"))->size(), 2u);
  EXPECT_EQ(select_gpus(d, *parse_gpus("1"))->at(0).minor, 0);
  EXPECT_FALSE(select_gpus(d, *parse_gpus("3")).ok());
  EXPECT_EQ(select_gpus(d, *parse_gpus("device=GPU-bbbb"))->at(0).minor, 1);
  EXPECT_EQ(select_gpus(d, *parse_gpus("device=1"))->at(0).uuid, "GPU-bbbb-2222");
  EXPECT_NE(select_gpus(d, *parse_gpus("device=GPU-")).error().message().find("more than one"), std::string::npos);
  EXPECT_EQ(select_gpus(d, *parse_gpus("device=GPU-cccc")).error().message(), "unknown device: GPU-cccc");
}

TEST(Nvidia, CapabilitiesFromRequestImageOrDefault) {
  EXPECT_EQ(driver_capabilities(*parse_gpus("all"), {}), (std::set<std::string>{"compute", "utility"}));
  EXPECT_EQ(driver_capabilities(*parse_gpus("all"), {"NVIDIA_DRIVER_CAPABILITIES=video,utility"}),
            (std::set<std::string>{"video", "utility"}));
  EXPECT_EQ(driver_capabilities(*parse_gpus("\"capabilities=utility\""), {"NVIDIA_DRIVER_CAPABILITIES=all"}),
            (std::set<std::string>{"utility"}));
  EXPECT_EQ(driver_capabilities(*parse_gpus("all"), {"NVIDIA_DRIVER_CAPABILITIES=all"}).size(), 5u);
}

TEST(Nvidia, EditsMountLibrariesToolsAndNodes) {
  FakeDriver f;
  auto d = *discover_nvidia(f.root());
  auto gpus = *select_gpus(d, *parse_gpus("device=1"));
  auto e = nvidia_edits(d, gpus, {"compute", "utility"}, "/usr/lib/x86_64-linux-gnu");
  ASSERT_TRUE(e.ok()) << e.error().message();
  std::vector<std::string> nodes;
  for (const auto& n : e->device_nodes) nodes.push_back(n.path + "<-" + n.host_path.substr(f.root().size()));
  EXPECT_EQ(nodes, (std::vector<std::string>{"/dev/nvidiactl<-/dev/nvidiactl",
                                             "/dev/nvidia-uvm<-/dev/nvidia-uvm",
                                             "/dev/nvidia1<-/dev/nvidia1"}));
  std::vector<std::string> mounts;
  for (const auto& m : e->mounts) mounts.push_back(m.container_path + "<-" + m.host_path.substr(f.root().size()));
  EXPECT_EQ(mounts, (std::vector<std::string>{
                        "/usr/lib/x86_64-linux-gnu/libcuda.so.580.1.2<-/usr/lib/x86_64-linux-gnu/libcuda.so.580.1.2",
                        "/usr/lib/x86_64-linux-gnu/libcuda.so.1<-/usr/lib/x86_64-linux-gnu/libcuda.so.580.1.2",
                        "/usr/lib/x86_64-linux-gnu/libcuda.so<-/usr/lib/x86_64-linux-gnu/libcuda.so.580.1.2",
                        "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.580.1.2<-/opt/drv/lib/libnvidia-ml.so.580.1.2",
                        "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1<-/opt/drv/lib/libnvidia-ml.so.580.1.2",
                        "/usr/bin/nvidia-smi<-/usr/bin/nvidia-smi"}));
  for (const auto& m : e->mounts) EXPECT_EQ(m.options.at(0), "ro");

  // A wrapper script in /usr/bin loses to the real program elsewhere (it would exec a path the
  // container lacks).
  auto elf = read_file("/proc/self/exe");
  ASSERT_TRUE(elf.ok());
  f.t.write("usr/local/nvidia/bin/nvidia-smi", elf->substr(0, 64));
  auto wrapped = nvidia_edits(d, gpus, {"utility"}, "/usr/lib64");
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(wrapped->mounts.back().host_path, f.root() + "/usr/local/nvidia/bin/nvidia-smi");

  auto no_ctl = nvidia_edits(d, gpus, {"utility"}, "/usr/lib64");
  ASSERT_TRUE(no_ctl.ok());
  EXPECT_EQ(no_ctl->mounts.size(), 3u);  // utility only: libnvidia-ml twice, nvidia-smi
  ASSERT_EQ(::unlink(path_join(f.root(), "dev/nvidiactl").c_str()), 0);
  EXPECT_EQ(nvidia_edits(d, gpus, {"utility"}, "/usr/lib64").error().code(), Code::kNotFound);
}

TEST(Resolve, PrefersCdiThenDiscoveryAndNamesTheDriver) {
  FakeDriver f;
  TempDir cdi;
  GpuHost host;
  host.driver_root = f.root();
  host.cdi_dirs = {cdi.path()};
  auto found = resolve_device_request(*parse_gpus("all"), host, {}, "/usr/lib/x86_64-linux-gnu");
  ASSERT_TRUE(found.ok()) << found.error().message();
  EXPECT_EQ(found->device_nodes.size(), 4u);  // ctl, uvm, nvidia0, nvidia1

  cdi.write("nvidia.yaml",
            "cdiVersion: 0.6.0\nkind: nvidia.com/gpu\ndevices:\n"
            "  - {name: '0', containerEdits: {deviceNodes: [{path: /dev/nvidia0}]}}\n"
            "  - {name: '1', containerEdits: {deviceNodes: [{path: /dev/nvidia1}]}}\n"
            "containerEdits: {env: [FROM_CDI=1]}\n");
  auto via_cdi = resolve_device_request(*parse_gpus("1"), host, {}, "/usr/lib64");
  ASSERT_TRUE(via_cdi.ok()) << via_cdi.error().message();
  EXPECT_EQ(via_cdi->env, std::vector<std::string>{"FROM_CDI=1"});
  ASSERT_EQ(via_cdi->device_nodes.size(), 1u);
  EXPECT_EQ(via_cdi->device_nodes[0].path, "/dev/nvidia0");
  EXPECT_FALSE(resolve_device_request(*parse_gpus("3"), host, {}, "/usr/lib64").ok());

  auto amd = resolve_device_request(*parse_gpus("driver=amd,count=1"), host, {}, "/usr/lib64");
  EXPECT_EQ(amd.error().message(), "could not select device driver \"amd\" with capabilities: [[gpu]]");
  TempDir nothing;
  host.driver_root = nothing.path();
  host.cdi_dirs = {};
  auto none = resolve_device_request(*parse_gpus("all"), host, {}, "/usr/lib64");
  EXPECT_EQ(none.error().message().rfind("could not select device driver \"\" with capabilities: [[gpu]]: no NVIDIA GPU found", 0), 0u);
}

// nvidia-smi as it prints a GPU 0 partitioned into three MIG devices (GI 1 / CI 0, GI 2 / CI 0,
// GI 2 / CI 1) and a GPU 1 without MIG.
constexpr const char* kSmiList =
    "GPU 0: NVIDIA H200 (UUID: GPU-aaaa-1111)\n"
    "  MIG 3g.71gb     Device  0: (UUID: MIG-11111111-aaaa-5000-8000-000000000000)\n"
    "  MIG 1c.3g.71gb  Device  1: (UUID: MIG-22222222-bbbb-5000-8000-000000000000)\n"
    "  MIG 1c.3g.71gb  Device  2: (UUID: MIG-33333333-cccc-5000-8000-000000000000)\n"
    "GPU 1: NVIDIA H200 (UUID: GPU-bbbb-2222)\n";
constexpr const char* kSmiTable =
    "+-----------------------------------------------------------------------------------------+\n"
    "| MIG devices:                                                                            |\n"
    "+------------------+----------------------------------+-----------+-----------------------+\n"
    "| GPU  GI  CI  MIG |                     Memory-Usage |        Vol|        Shared         |\n"
    "|      ID  ID  Dev |                       BAR1-Usage | SM     Unc| CE ENC  DEC  OFA  JPG |\n"
    "|==================+==================================+===========+=======================|\n"
    "|  0    1   0   0  |              44MiB / 71424MiB    | 60      0 |  3   0    3    0    3 |\n"
    "|                  |               0MiB / 65535MiB    |           |                       |\n"
    "+------------------+----------------------------------+-----------+-----------------------+\n"
    "|  0    2   0   1  |              22MiB / 71424MiB    | 30      0 |  3   0    3    0    3 |\n"
    "|  0    2   1   2  |              22MiB / 71424MiB    | 30      0 |  3   0    3    0    3 |\n"
    "+------------------+----------------------------------+-----------+-----------------------+\n"
    "| Processes:                                                                              |\n"
    "|  0    9   9   9  |  not a MIG row                                                      |\n";

// The fake driver of FakeDriver plus GPU 0's MIG capabilities (GPU minor 0) and their nodes.
struct FakeMig : FakeDriver {
  std::vector<std::vector<std::string>> calls;
  FakeMig() {
    const std::string caps = "proc/driver/nvidia/capabilities/";
    t.write(caps + "gpu0/mig/gi1/access", "DeviceFileMinor: 12\nDeviceFileMode: 292\n");
    t.write(caps + "gpu0/mig/gi1/ci0/access", "DeviceFileMinor: 13\nDeviceFileMode: 292\n");
    t.write(caps + "gpu0/mig/gi2/access", "DeviceFileMinor: 21\n");
    t.write(caps + "gpu0/mig/gi2/ci0/access", "DeviceFileMinor: 22\n");
    t.write(caps + "gpu0/mig/gi2/ci1/access", "DeviceFileMinor: 23\n");
    t.write(caps + "mig/config", "DeviceFileMinor: 1\n");
    t.write(caps + "mig/monitor", "DeviceFileMinor: 2\n");
    for (int n : {1, 2, 12, 13, 21, 22, 23}) t.write("dev/nvidia-caps/nvidia-cap" + std::to_string(n), "");
  }
  SmiRunner smi(std::string list = kSmiList, std::string table = kSmiTable) {
    return [this, list, table](const std::vector<std::string>& args) -> Result<std::string> {
      calls.push_back(args);
      return args.empty() ? table : list;
    };
  }
};

TEST(Mig, ParsesNvidiaSmiListAndTable) {
  auto migs = parse_smi_list(kSmiList);
  ASSERT_EQ(migs.size(), 3u);
  EXPECT_EQ(migs[1].gpu_index, 0);
  EXPECT_EQ(migs[1].index, 1);
  EXPECT_EQ(migs[1].profile, "1c.3g.71gb");
  EXPECT_EQ(migs[1].uuid, "MIG-22222222-bbbb-5000-8000-000000000000");
  EXPECT_EQ(migs[1].gi, -1);
  parse_smi_mig_table(kSmiTable, migs);
  EXPECT_EQ(std::make_pair(migs[0].gi, migs[0].ci), std::make_pair(1, 0));
  EXPECT_EQ(std::make_pair(migs[2].gi, migs[2].ci), std::make_pair(2, 1));
  // R450's form names the GPU, GI and CI in the UUID itself.
  auto old = parse_smi_list("GPU 1: A100 (UUID: GPU-bbbb-2222)\n"
                            "  MIG 3g.20gb Device 0: (UUID: MIG-GPU-bbbb-2222/1/0)\n");
  ASSERT_EQ(old.size(), 1u);
  EXPECT_EQ(old[0].gpu_index, 1);
  EXPECT_EQ(old[0].uuid, "MIG-GPU-bbbb-2222/1/0");
  EXPECT_EQ(std::make_pair(old[0].gi, old[0].ci), std::make_pair(1, 0));
  EXPECT_TRUE(parse_smi_list("No devices were found\n").empty());
}

TEST(Mig, DiscoversWithTheTableOrFallsBackToTheDriversInstances) {
  FakeMig f;
  auto d = *discover_nvidia(f.root());
  auto migs = discover_mig(d, f.smi());
  ASSERT_TRUE(migs.ok()) << migs.error().message();
  EXPECT_EQ((*migs)[1].gi, 2);
  EXPECT_EQ(f.calls, (std::vector<std::vector<std::string>>{{"-L"}, {}}));
  // No table (nvidia-smi failed): the three (gi, ci) pairs of /proc match the three devices.
  auto no_table = discover_mig(d, [](const std::vector<std::string>& a) -> Result<std::string> {
    if (a.empty()) return failed_precondition("nvidia-smi failed");
    return std::string(kSmiList);
  });
  ASSERT_TRUE(no_table.ok());
  EXPECT_EQ(std::make_pair((*no_table)[2].gi, (*no_table)[2].ci), std::make_pair(2, 1));
  auto broken = discover_mig(d, [](const std::vector<std::string>&) -> Result<std::string> {
    return not_found("no nvidia-smi");
  });
  EXPECT_FALSE(broken.ok());
}

std::vector<std::string> node_paths(const ContainerEdits& e) {
  std::vector<std::string> out;
  for (const auto& n : e.device_nodes) out.push_back(n.path);
  return out;
}

TEST(Mig, GpuIndexUuidAndOldFormGiveTheParentAndTheCapNodes) {
  FakeMig f;
  GpuHost host;
  host.driver_root = f.root();
  host.cdi_dirs = {};
  host.nvidia_smi = f.smi();
  auto e = resolve_device_request(*parse_gpus("\"device=0:1\""), host, {}, "/usr/lib64");
  ASSERT_TRUE(e.ok()) << e.error().message();
  EXPECT_EQ(node_paths(*e), (std::vector<std::string>{"/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia0",
                                                      "/dev/nvidia-caps/nvidia-cap21",
                                                      "/dev/nvidia-caps/nvidia-cap22"}));
  EXPECT_EQ(e->device_nodes.back().host_path, f.root() + "/dev/nvidia-caps/nvidia-cap22");
  // By UUID prefix, together with the whole GPU 1: the parent once, both GPUs' nodes.
  auto two = resolve_device_request(*parse_gpus("\"device=MIG-33333333,1\""), host, {}, "/usr/lib64");
  ASSERT_TRUE(two.ok()) << two.error().message();
  EXPECT_EQ(node_paths(*two), (std::vector<std::string>{"/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia1",
                                                        "/dev/nvidia0", "/dev/nvidia-caps/nvidia-cap21",
                                                        "/dev/nvidia-caps/nvidia-cap23"}));
  // The old form needs no nvidia-smi: the driver's files say whether the instance exists.
  f.calls.clear();
  auto old = resolve_device_request(*parse_gpus("device=MIG-GPU-aaaa-1111/1/0"), host, {}, "/usr/lib64");
  ASSERT_TRUE(old.ok()) << old.error().message();
  EXPECT_EQ(node_paths(*old).back(), "/dev/nvidia-caps/nvidia-cap13");
  EXPECT_TRUE(f.calls.empty());
  // mig-monitor, asked by capability or by the image's variable, adds the monitor's node.
  auto mon = resolve_device_request(*parse_gpus("\"device=0:0\",\"capabilities=utility,mig-monitor\""),
                                    host, {}, "/usr/lib64");
  ASSERT_TRUE(mon.ok()) << mon.error().message();
  EXPECT_EQ(node_paths(*mon).back(), "/dev/nvidia-caps/nvidia-cap2");
  auto cfg = resolve_device_request(*parse_gpus("\"device=0:0\""), host,
                                    {"NVIDIA_MIG_CONFIG_DEVICES=all"}, "/usr/lib64");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message();
  EXPECT_EQ(node_paths(*cfg).back(), "/dev/nvidia-caps/nvidia-cap1");
  EXPECT_EQ(driver_capabilities(*parse_gpus("\"capabilities=mig-config\""), {}),
            (std::set<std::string>{"compute", "utility", "mig-config"}));
}

TEST(Mig, ErrorsNameTheValueAndWhatExists) {
  FakeMig f;
  GpuHost host;
  host.driver_root = f.root();
  host.cdi_dirs = {};
  host.nvidia_smi = f.smi();
  auto err = [&](const std::string& gpus) {
    auto r = resolve_device_request(*parse_gpus(gpus), host, {}, "/usr/lib64");
    EXPECT_FALSE(r.ok()) << gpus;
    return r.ok() ? std::string() : r.error().message();
  };
  EXPECT_EQ(err("\"device=0:7\""), "unknown MIG device: 0:7 (GPU 0 has MIG devices 0:0, 0:1, 0:2)");
  EXPECT_EQ(err("\"device=1:0\""), "unknown MIG device: 1:0 (GPU 1 has no MIG device; is MIG mode enabled?)");
  EXPECT_EQ(err("\"device=5:0\""), "unknown MIG device: 5:0 (there is no GPU 5)");
  EXPECT_EQ(err("device=MIG-99999999").rfind("unknown MIG device: MIG-99999999 (the GPUs have MIG devices 0:0", 0), 0u);
  EXPECT_NE(err("device=MIG-").find("matches more than one"), std::string::npos);
  EXPECT_EQ(err("device=MIG-GPU-aaaa-1111/1/5"),
            "unknown MIG device: MIG-GPU-aaaa-1111/1/5 (GPU GPU-aaaa-1111 has no compute instance 5 in GPU instance 1)");
  EXPECT_EQ(err("device=MIG-GPU-cccc/1/0"), "unknown MIG device: MIG-GPU-cccc/1/0 (no GPU GPU-cccc)");
  EXPECT_NE(err("\"device=0:x\"").find("unknown device: 0:x"), std::string::npos);
  auto code = resolve_device_request(*parse_gpus("\"device=0:7\""), host, {}, "/usr/lib64");
  EXPECT_EQ(code.error().code(), Code::kNotFound);
  // A node the driver lists but /dev lacks: named, with the way to create it.
  ASSERT_EQ(::unlink(path_join(f.root(), "dev/nvidia-caps/nvidia-cap23").c_str()), 0);
  EXPECT_NE(err("\"device=0:2\"").find("nvidia-caps/nvidia-cap23"), std::string::npos);
  EXPECT_EQ(err("\"device=0:2\"").rfind("MIG device 0:2: NVIDIA capability device", 0), 0u);
}

TEST(Mig, HostNvidiaSmiRunsTheDriverTreesCopyAndGivesUpOnAHang) {
  TempDir root;
  std::string smi = root.write("usr/bin/nvidia-smi", "#!/bin/sh\necho \"args: $*\"\n");
  ASSERT_EQ(::chmod(smi.c_str(), 0755), 0);
  auto out = host_nvidia_smi(root.path())({"-L"});
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(*out, "args: -L\n");
  // A wedged driver: nvidia-smi never answers. The runner kills it at the timeout.
  ASSERT_TRUE(atomic_write_file(smi, "#!/bin/sh\nexec sleep 30\n").ok());
  ASSERT_EQ(::chmod(smi.c_str(), 0755), 0);
  auto start = std::chrono::steady_clock::now();
  auto hung = host_nvidia_smi(root.path(), std::chrono::milliseconds(300))({"-L"});
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(hung.ok());
  EXPECT_EQ(hung.error().code(), Code::kUnavailable);
  EXPECT_NE(hung.error().message().find("did not answer within 300 ms"), std::string::npos);
  EXPECT_LT(took, std::chrono::seconds(5));
}

}  // namespace
}  // namespace berth::gpu
