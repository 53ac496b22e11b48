#include "base/fd_passing.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(FdPassing, TheSameFileArrivesWithItsPayloadAndCloseOnExec) {
  int sp[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
  UniqueFd a(sp[0]), b(sp[1]);
  UniqueFd file(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(send_fd(a.get(), file.get(), "/dev/ptmx").ok());
  auto got = receive_fd(b.get());
  ASSERT_TRUE(got.ok()) << got.error().message();
  ASSERT_TRUE(got->fd);
  EXPECT_EQ(got->payload, "/dev/ptmx");
  struct stat x {}, y {};
  ASSERT_EQ(::fstat(file.get(), &x), 0);
  ASSERT_EQ(::fstat(got->fd.get(), &y), 0);
  EXPECT_EQ(x.st_ino, y.st_ino);
  EXPECT_EQ(x.st_rdev, y.st_rdev);
  EXPECT_TRUE(::fcntl(got->fd.get(), F_GETFD) & FD_CLOEXEC);
}

TEST(FdPassing, PlainDataIsNoFdAndAClosedPeerIsAnError) {
  int sp[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
  UniqueFd a(sp[0]), b(sp[1]);
  ASSERT_EQ(::write(a.get(), "no", 2), 2);
  auto got = receive_fd(b.get());
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->fd);
  EXPECT_EQ(got->payload, "no");
  a.reset();
  EXPECT_FALSE(receive_fd(b.get()).ok());
  EXPECT_FALSE(send_fd(b.get(), 0, "").ok()) << "an empty payload cannot carry an fd";
}

}  // namespace
}  // namespace berth
