#!/usr/bin/env bats
# attach / start -ai to detached containers created with -i: stdin through berth-monitor's
# attach.sock (engine/attach.h), the container's output back, its exit code as berth's.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  berth_setup_file
  berth import -c 'CMD ["sh"]' "$BUSYBOX_TAR" busybox >/dev/null
}
teardown_file() { berth_teardown_file; }

monitor_pid() { cat "$BERTH_TEST_ROOT/containers/$1/monitor.pid"; }

@test "run -d -i keeps stdin open: attach sends input and prints the output, twice" {
  id=$(berth run -d -i --name cat1 busybox cat)
  sock="$BERTH_TEST_ROOT/containers/$id/attach.sock"
  [ -S "$sock" ]
  [ "$(stat -c %a "$sock")" = 600 ]
  run -0 timeout 10 bash -c "echo hello | '$BERTH' --root '$BERTH_TEST_ROOT' --runroot '$BERTH_TEST_ROOT/run' attach cat1"
  [ "$output" = hello ]
  # stdin stayed open across that attach (Docker: run -d -i is not StdinOnce): cat still runs
  # and takes the next client's input.
  [ "$(berth inspect --format '{{.State.Running}} {{.Config.OpenStdin}}' cat1)" = "true true" ]
  run -0 timeout 10 bash -c "printf 'again\n' | '$BERTH' --root '$BERTH_TEST_ROOT' --runroot '$BERTH_TEST_ROOT/run' attach cat1"
  [ "$output" = again ]
  # The log has both lines too, and the monitor stays small with a socket and a client served.
  run -0 berth logs cat1
  [ "$output" = "$(printf 'hello\nagain')" ]
  mon=$(monitor_pid "$id")
  [ "$(readlink "/proc/$mon/exe")" = "$(dirname "$BERTH")/berth-monitor" ]
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$mon/status")
  echo "berth-monitor with attach.sock: VmRSS ${rss} KiB" >&3
  [ "$rss" -lt 1024 ]
  berth rm -f cat1 >/dev/null
  [ ! -e "$sock" ]
}

@test "create -i + start -ai: the data goes in, comes out, and cat's exit code 0 comes back" {
  berth create -i --name cat2 busybox cat >/dev/null
  run -0 timeout 10 bash -c "printf 'data 1\ndata 2\n' | '$BERTH' --root '$BERTH_TEST_ROOT' --runroot '$BERTH_TEST_ROOT/run' start -ai cat2"
  [ "$output" = "$(printf 'data 1\ndata 2')" ]
  [ "$(berth inspect --format '{{.State.Status}} {{.State.ExitCode}}' cat2)" = "exited 0" ]
  id=$(berth inspect --format '{{.Id}}' cat2)
  [ ! -e "$BERTH_TEST_ROOT/containers/$id/attach.sock" ]  # removed when the container exited
}

@test "start -ai returns the container's exit code, with its first output and stderr" {
  berth create -i --name seven busybox sh -c 'echo first; read x; echo "got $x" >&2; exit 7' >/dev/null
  run -7 --separate-stderr timeout 10 bash -c "echo line | '$BERTH' --root '$BERTH_TEST_ROOT' --runroot '$BERTH_TEST_ROOT/run' start -ai seven"
  [ "$output" = first ]  # printed before we connected: held in the pipe for us
  [ "$stderr" = "got line" ]
  # Started again: a new run, the same socket path, the same code.
  run -7 timeout 10 bash -c "echo again | '$BERTH' --root '$BERTH_TEST_ROOT' --runroot '$BERTH_TEST_ROOT/run' start -ai seven"
  [ "$output" = "$(printf 'first\ngot again')" ]
}

@test "attach --no-stdin prints the output and returns the exit code; input goes nowhere" {
  berth run -d -i --name ns busybox sh -c 'sleep 1; echo out; exit 3' >/dev/null
  run -3 timeout 10 bash -c "echo ignored | '$BERTH' --root '$BERTH_TEST_ROOT' --runroot '$BERTH_TEST_ROOT/run' attach --no-stdin ns"
  [ "$output" = out ]
}

@test "a container without -i has no attach.sock and attaches output-only through its log" {
  id=$(berth run -d --name noi busybox sh -c 'sleep 1; echo from-log; exit 4')
  [ ! -e "$BERTH_TEST_ROOT/containers/$id/attach.sock" ]
  [ "$(berth inspect --format '{{.Config.OpenStdin}}' noi)" = false ]
  run -4 timeout 10 bash -c "echo x | '$BERTH' --root '$BERTH_TEST_ROOT' --runroot '$BERTH_TEST_ROOT/run' attach noi"
  [ "$output" = from-log ]
}

@test "attach to a stopped container is Docker's error" {
  berth create -i --name stopped busybox cat >/dev/null
  run -1 berth attach stopped
  [[ "$output" == *"You cannot attach to a stopped container"* ]]
}

# Drives `berth attach NAME` on a pty: types $1, waits until the screen shows $2, then types $3;
# prints the screen and exits with berth's status.
attach_on_pty() {
  python3 - "$1" "$2" "$3" "${ROWS:-24}" "${COLS:-80}" "$BERTH" --root "$BERTH_TEST_ROOT" --runroot "$BERTH_TEST_ROOT/run" attach "$4" <<'PY'
import fcntl, os, pty, struct, sys, termios, time
first, want, then = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
rows, cols, argv = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
time.sleep(0.5)
os.write(fd, first.encode())
out, sent, deadline = b"", False, time.time() + 15
while time.time() < deadline:
    if not sent and want in out:
        os.write(fd, then.encode())
        sent = True
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
sys.stdout.write(out.decode(errors="replace"))
for _ in range(50):  # berth exits as its terminal closes; still attached after 5 s: a hang
    wpid, status = os.waitpid(pid, os.WNOHANG)
    if wpid:
        break
    time.sleep(0.1)
else:
    os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
PY
}

@test "run -d -it: attach on a terminal types into the shell, sets its size; ctrl-p ctrl-q detaches, exit ends it" {
  berth run -d -i -t --name tt busybox sh >/dev/null
  ROWS=33 COLS=101 run -0 attach_on_pty 'echo "sum=$((6*7))"; stty size'$'\r' '33 101' $'\x10\x11' tt
  [[ "$output" == *sum=42* ]]
  [[ "$output" == *"33 101"* ]]  # our window size, sent to the container's pty
  [ "$(berth inspect --format '{{.State.Running}} {{.Config.Tty}}' tt)" = "true true" ]  # detached, not stopped
  run -5 attach_on_pty 'echo "again=$((2+3))"'$'\r' 'again=5' $'exit 5\r' tt
  [[ "$output" == *again=5* ]]
  [ "$(berth inspect --format '{{.State.Status}} {{.State.ExitCode}}' tt)" = "exited 5" ]
}
