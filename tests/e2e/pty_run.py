#!/usr/bin/env python3
"""Drives `berth ARGS...` on a pseudo-terminal as a person at a terminal would.

Usage: pty_run.py ROWS COLS INPUT BERTH ARGS...
Sets the terminal size, types INPUT, prints everything the terminal showed, then
`exit N` with berth's exit status.
"""
import fcntl
import os
import pty
import struct
import sys
import termios
import time

rows, cols, typed, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
pid, fd = pty.fork()
if pid == 0:
    # The size is set before berth starts, as a terminal's is (berth reads it at once).
    fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    os.execv(argv[0], argv)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
time.sleep(0.5)  # let the shell print its prompt first
os.write(fd, typed.encode())
out = b""
deadline = time.time() + 20
while time.time() < deadline:
    try:
        data = os.read(fd, 4096)
    except OSError:  # EIO: berth exited and closed the terminal
        break
    if not data:
        break
    out += data
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
print(f"\nexit {os.waitstatus_to_exitcode(status)}")
