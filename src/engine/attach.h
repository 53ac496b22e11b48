// `attach` to a detached container's stdin and output through its berth-monitor.
//
// A container created with -i (OpenStdin) keeps its stdin open in berth-monitor, which listens
// on <container dir>/attach.sock (mode 0600, bound before the start is reported "ok", removed
// when the container exits). The protocol, on a unix stream socket:
//   client -> monitor: one mode byte, kAttachStdinOnce ('O': close the container's stdin when
//     this client's input ends, Docker's StdinOnce, used by `start -ai`) or kAttachKeepStdin
//     ('K': stdin stays open across attaches, `attach` to a `run -d -i` container); then the
//     raw bytes for the container's stdin; the client's shutdown(SHUT_WR) ends the input (with
//     'O', the container's stdin closes), while a client that closes its socket outright has
//     detached (the detach keys): its input just stops, the container's stdin stays open.
//     Or kAttachResize ('R') and 4 bytes, rows and columns as big-endian u16: a -t container's
//     window size (sent on a connection of its own, which the monitor then closes).
//   monitor -> client: the container's output as it comes, in Docker's stdcopy frames (8-byte
//     header: stream 1 stdout / 2 stderr, 3 zero bytes, big-endian u32 length; then the bytes).
//     With -t the pty's output comes as stream 1. When the container has exited and its
//     output is drained, the monitor sends a last frame of stream kAttachExitStream (4) whose
//     4 bytes are the exit code (big-endian; 128+N for signal N), then closes the socket.
#pragma once

#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::engine {

inline constexpr char kAttachStdinOnce = 'O';
inline constexpr char kAttachKeepStdin = 'K';
inline constexpr char kAttachResize = 'R';
inline constexpr unsigned char kAttachExitStream = 4;
// Set by start_detached in the monitor's environment ("<rows>x<cols>"): the terminal size of the
// client that started it, given to a -t container's pty when it is made.
inline constexpr const char* kConsoleSizeEnv = "BERTH_CONSOLE_SIZE";

std::string attach_socket_path(const std::string& container_dir);
// Written by `start -a` before it starts an -i container: berth-monitor then leaves the output
// in the pipes until the client has connected (at most 5 s), so the first bytes reach it.
std::string attach_pending_path(const std::string& container_dir);

// Binds and listens on attach.sock (an old one is replaced), mode 0600.
Result<UniqueFd> listen_attach(const std::string& container_dir);

// Connects to a container's attach.sock; not-found when there is none (no -i, or not running).
Result<UniqueFd> connect_attach(const std::string& container_dir);

}  // namespace berth::engine
