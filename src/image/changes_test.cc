#include "image/changes.h"

#include <gtest/gtest.h>

namespace berth::image {
namespace {

TEST(Changes, CommandForms) {
  oci::RunConfig rc;
  ASSERT_TRUE(apply_change(rc, R"(CMD ["sh", "-c", "echo hi"])").ok());
  EXPECT_EQ(*rc.cmd, (std::vector<std::string>{"sh", "-c", "echo hi"}));
  ASSERT_TRUE(apply_change(rc, "cmd echo hi").ok());
  EXPECT_EQ(*rc.cmd, (std::vector<std::string>{"/bin/sh", "-c", "echo hi"}));
  ASSERT_TRUE(apply_change(rc, R"(ENTRYPOINT ["/bin/app"])").ok());
  EXPECT_EQ(*rc.entrypoint, (std::vector<std::string>{"/bin/app"}));
}

TEST(Changes, EnvLabelExposeVolumeWorkdir) {
  oci::RunConfig rc;
  ASSERT_TRUE(apply_change(rc, "ENV A=1 B=\"two words\"").ok());
  ASSERT_TRUE(apply_change(rc, "ENV C legacy form value").ok());
  ASSERT_TRUE(apply_change(rc, "ENV A=3").ok());
  EXPECT_EQ(rc.env, (std::vector<std::string>{"A=3", "B=two words", "C=legacy form value"}));
  ASSERT_TRUE(apply_change(rc, "LABEL org.label-schema.name=\"my app\" version=1").ok());
  EXPECT_EQ(rc.labels.at("org.label-schema.name"), "my app");
  EXPECT_EQ(rc.labels.at("version"), "1");
  ASSERT_TRUE(apply_change(rc, "EXPOSE 8000 53/UDP").ok());
  EXPECT_EQ(rc.exposed_ports, (std::vector<std::string>{"53/udp", "8000/tcp"}));
  ASSERT_TRUE(apply_change(rc, "VOLUME [\"/data\", \"/logs\"]").ok());
  EXPECT_EQ(rc.volumes, (std::vector<std::string>{"/data", "/logs"}));
  ASSERT_TRUE(apply_change(rc, "WORKDIR /app").ok());
  ASSERT_TRUE(apply_change(rc, "WORKDIR src").ok());
  EXPECT_EQ(rc.working_dir, "/app/src");
  ASSERT_TRUE(apply_change(rc, "USER 1000:1000").ok());
  EXPECT_EQ(rc.user, "1000:1000");
}

TEST(Changes, ErrorsNameTheInstruction) {
  oci::RunConfig rc;
  auto st = apply_change(rc, "RUN make");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "RUN is not a valid change command");
  st = apply_change(rc, "LABEL a=\"unterminated");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "unterminated quote in: a=\"unterminated");
  st = apply_change(rc, "CMD");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "CMD requires at least one argument");
}

}  // namespace
}  // namespace berth::image
