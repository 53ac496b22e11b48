// Handing a file descriptor to another process over a unix socket (SCM_RIGHTS): the pty master
// to --console-socket (runc's protocol), a detached mount out of another mount namespace.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth {

// Sends `fd` with `payload` (at least one byte: a message with no data may not carry the fd).
Status send_fd(int sock, int fd, std::string_view payload);

struct ReceivedFd {
  UniqueFd fd;          // close-on-exec; empty when the message carried none
  std::string payload;  // what came with it, at most 256 bytes
};

// Receives one message. `flags` adds to recvmsg's (e.g. MSG_DONTWAIT). End of stream or a
// failure is an error; a message without an fd is not (the payload may say why).
Result<ReceivedFd> receive_fd(int sock, int flags = 0);

}  // namespace berth
