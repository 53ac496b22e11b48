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

# Drives `berth ARGS...` on a pty through steps: t:TEXT types TEXT, w:TEXT waits (at most 15 s)
# until the screen shows TEXT, s:SECS sleeps; then reads until berth exits. Prints the screen
# and exits with berth's status (137 if it was still running 5 s after the steps).
pty_script() {
  python3 - "$@" <<'PY'
import os, pty, sys, time
args = sys.argv[1:]
cut = args.index("--")
steps, argv = args[:cut], args[cut + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
out = b""
def read_some(timeout):
    global out
    import select
    r, _, _ = select.select([fd], [], [], timeout)
    if not r:
        return True
    try:
        data = os.read(fd, 4096)
    except OSError:
        return False
    out += data
    return bool(data)
time.sleep(0.5)
for step in steps:
    kind, text = step[0], step[2:]
    if kind == "t":
        os.write(fd, text.encode())
    elif kind == "s":
        end = time.time() + float(text)
        while time.time() < end and read_some(end - time.time()):
            pass
    elif kind == "w":
        end = time.time() + 15
        while text.encode() not in out and time.time() < end and read_some(0.2):
            pass
end = time.time() + 5
while time.time() < end:
    wpid, status = os.waitpid(pid, os.WNOHANG)
    if wpid:
        break
    if not read_some(0.1):
        time.sleep(0.1)
else:
    os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
while read_some(0):
    pass
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
PY
}
B() { echo "$BERTH" --root "$BERTH_TEST_ROOT" --runroot "$BERTH_TEST_ROOT/run"; }

@test "run -it --detach-keys: a custom sequence detaches and the container runs on; attach takes config.json's detachKeys" {
  run -0 pty_script 't:echo "v=$((3*5))"'$'\r' w:v=15 $'t:\x18x' -- $(B) run -it --name dk --detach-keys ctrl-x,x busybox sh
  [[ "$output" == *v=15* ]]
  [ "$(berth inspect --format '{{.State.Running}}' dk)" = true ]
  # ~/.docker/config.json's "detachKeys" is the default when no flag is given.
  local conf="$BERTH_TEST_ROOT/dockerconf"
  mkdir -p "$conf"
  echo '{"auths": {}, "detachKeys": "ctrl-e,e"}' > "$conf/config.json"
  DOCKER_CONFIG=$conf run -0 pty_script 't:echo "w=$((4*5))"'$'\r' w:w=20 $'t:\x05' s:0.3 t:e -- $(B) attach dk
  [[ "$output" == *w=20* ]]
  [ "$(berth inspect --format '{{.State.Running}}' dk)" = true ]
  # With the default keys, the shell's own exit still ends it and its code comes back.
  run -3 pty_script $'t:exit 3\r' -- $(B) attach dk
  [ "$(berth inspect --format '{{.State.Status}} {{.State.ExitCode}}' dk)" = "exited 3" ]
}

@test "a detach prefix that diverges reaches the container unchanged, also across reads" {
  berth run -d -it --name dv busybox sh -c 'IFS= read -r l; echo "$l" | od -An -tx1' >/dev/null
  # ctrl-x alone, then b: ctrl-x was held back, then passed on with the b, as Docker does.
  run -0 pty_script t:a $'t:\x18' s:0.3 t:b $'t:\x18\x18x\r' w:0a -- $(B) attach --detach-keys ctrl-x,x dv
  [[ "$output" == *"61 18 62 18 18 78 0a"* ]]
  [ "$(berth inspect --format '{{.State.Status}} {{.State.ExitCode}}' dv)" = "exited 0" ]
}

@test "run -it --rm returns the container's code; exec -it detaches with its own keys and its process runs on" {
  run -6 pty_script $'t:exit 6\r' -- $(B) run -it --rm --name gone busybox sh
  run -1 berth inspect gone
  berth run -d --name ex busybox sleep 300 >/dev/null
  run -0 pty_script 't:echo $$ > /tmp/sh.pid; echo "e=$((2*4))"'$'\r' w:e=8 $'t:\x1a\x1a' -- $(B) exec -it --detach-keys ctrl-z,ctrl-z ex sh
  [[ "$output" == *e=8* ]]
  sleep 0.5
  run -0 berth exec ex sh -c 'kill -0 "$(cat /tmp/sh.pid)" && echo alive'
  [ "$output" = alive ]
  berth rm -f ex >/dev/null
}

@test "a bad --detach-keys exits 125 naming the flag, before anything is created" {
  local before
  before=$(berth ps -aq | wc -l)
  run -125 berth run -it --detach-keys ctrl-1 busybox true
  [[ "$output" == *'invalid argument "ctrl-1" for "--detach-keys" flag: unknown key'* ]]
  [ "$(berth ps -aq | wc -l)" -eq "$before" ]
  berth create -i -t --name dk2 busybox sh >/dev/null
  run -125 berth start -ai --detach-keys ctrl-p,shift-q dk2
  [[ "$output" == *'"--detach-keys" flag'*"'shift-q'"* ]]
  [ "$(berth inspect --format '{{.State.Status}}' dk2)" = created ]
  berth start dk2 >/dev/null
  run -125 berth attach --detach-keys , dk2
  [[ "$output" == *'"--detach-keys" flag'* ]]
  run -125 berth exec -it --detach-keys ctrl-pp dk2 sh
  [[ "$output" == *'"--detach-keys" flag'* ]]
  echo '{"detachKeys": "ctrl-?"}' > "$BERTH_TEST_ROOT/config.json"
  DOCKER_CONFIG=$BERTH_TEST_ROOT run -125 berth attach dk2
  [[ "$output" == *"$BERTH_TEST_ROOT/config.json"*detachKeys* ]]
  berth rm -f dk2 >/dev/null
}

@test "more than 4 clients attach at once (the old limit) and all get the output" {
  berth run -d -i --name many busybox sh -c 'read x; echo "got $x"' >/dev/null
  local i pids=()
  for i in 1 2 3 4 5 6; do
    timeout 15 "$BERTH" --root "$BERTH_TEST_ROOT" --runroot "$BERTH_TEST_ROOT/run" attach --no-stdin many \
      > "$BERTH_TEST_ROOT/many.$i" &
    pids+=($!)
  done
  sleep 1  # all six connected
  run -0 timeout 10 bash -c "echo hello | '$BERTH' --root '$BERTH_TEST_ROOT' --runroot '$BERTH_TEST_ROOT/run' attach many"
  [ "$output" = "got hello" ]
  for i in 1 2 3 4 5 6; do
    wait "${pids[$((i - 1))]}"
    [ "$(cat "$BERTH_TEST_ROOT/many.$i")" = "got hello" ]
  done
}
