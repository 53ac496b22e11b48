#include "engine/seccomp_cache.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "base/fs.h"
#include "runtime/caps.h"
#include "runtime/spec.h"

namespace berth::engine {
namespace {

oci::RuntimeSpec spec_with_default_seccomp() {
  runtime::RunOptions o;
  o.command = {"true"};
  o.seccomp = runtime::to_oci_seccomp(runtime::default_seccomp_profile(),
                                      runtime::docker_default_caps());
  auto spec = runtime::build_spec(o);
  EXPECT_TRUE(spec.ok()) << spec.error().message();
  return *spec;
}

bool same_program(const runtime::CompiledSeccomp& a, const runtime::CompiledSeccomp& b) {
  return a.flags == b.flags && a.prog.size() == b.prog.size() &&
         std::memcmp(a.prog.data(), b.prog.data(), a.prog.size() * sizeof(a.prog[0])) == 0;
}

TEST(SeccompCache, StoresTheCompiledProgramAndReadsItBack) {
  auto tmp = TempDir::create("/tmp", "seccomp-cache-");
  ASSERT_TRUE(tmp.ok());
  std::string dir = path_join(tmp->path(), "cache");
  auto spec = spec_with_default_seccomp();
  auto profile = runtime::from_oci_seccomp(nlohmann::json::parse(spec.linux->seccomp->dump()));
  ASSERT_TRUE(profile.ok());
  auto direct = runtime::compile_seccomp(*profile);
  ASSERT_TRUE(direct.ok());

  auto first = cached_seccomp(dir, spec);
  ASSERT_TRUE(first.ok()) << first.error().message();
  ASSERT_TRUE(first->has_value());
  EXPECT_TRUE(same_program(**first, *direct));
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);

  // A corrupt cache file is compiled again and replaced, never loaded.
  std::string file = files[0];
  ASSERT_TRUE(atomic_write_file(file, "garbage").ok());
  auto again = cached_seccomp(dir, spec);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(same_program(**again, *direct));
  auto bytes = read_file(file);
  ASSERT_TRUE(bytes.ok());
  EXPECT_NE(*bytes, "garbage");
  auto hit = cached_seccomp(dir, spec);
  ASSERT_TRUE(hit.ok());
  EXPECT_TRUE(same_program(**hit, *direct));
}

TEST(SeccompCache, NoFilterMeansNoProgram) {
  runtime::RunOptions o;
  o.command = {"true"};
  auto spec = runtime::build_spec(o);
  ASSERT_TRUE(spec.ok());
  auto r = cached_seccomp("/nonexistent/cache", *spec);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
}

}  // namespace
}  // namespace berth::engine
