#!/usr/bin/env bats
# cp (both ways, tar streams, hostile symlinks), diff, export, commit, pause/unpause, rename.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  berth_setup_file
  berth import -c 'CMD ["sh"]' "$BUSYBOX_TAR" fsbox:1 >/dev/null
}
teardown_file() {
  for id in $("$BERTH" --root "$BERTH_TEST_ROOT" ps -aq 2>/dev/null); do
    "$BERTH" --root "$BERTH_TEST_ROOT" rm -f "$id" >/dev/null 2>&1 || true
  done
  berth_teardown_file
}
setup() {
  HOSTDIR=$(mktemp -d)
}
teardown() {
  rm -rf "$HOSTDIR"
}

@test "cp out of a stopped container: a file, a directory, its contents with /., and a tar to stdout" {
  berth run --name cpout fsbox:1 sh -c 'mkdir -p /out/sub && echo one > /out/a.txt && echo two > /out/sub/b.txt' >/dev/null
  run berth cp cpout:/out/a.txt "$HOSTDIR/copy.txt"
  expect_status 0
  [ "$(cat "$HOSTDIR/copy.txt")" = one ]
  run berth cp cpout:/out "$HOSTDIR"
  expect_status 0
  [ "$(cat "$HOSTDIR/out/sub/b.txt")" = two ]
  mkdir "$HOSTDIR/contents"
  run berth cp cpout:/out/. "$HOSTDIR/contents"
  expect_status 0
  [ -f "$HOSTDIR/contents/a.txt" ] && [ -f "$HOSTDIR/contents/sub/b.txt" ]
  berth cp cpout:/out - > "$HOSTDIR/out.tar"
  run tar -tf "$HOSTDIR/out.tar"
  [[ "$output" == *"out/sub/b.txt"* ]]
  run berth cp cpout:/nosuch "$HOSTDIR"
  expect_status 1
  [[ "$output" == *"Could not find the file /nosuch in container cpout"* ]]
  run berth cp "$HOSTDIR/a" "$HOSTDIR/b"
  expect_status 1
  [[ "$output" == *"must specify at least one container source"* ]]
  berth rm cpout >/dev/null
}

@test "cp into a running and a stopped container; a tar from stdin" {
  berth run -d --name cpin fsbox:1 sleep 60 >/dev/null
  echo hello > "$HOSTDIR/h.txt"
  run berth cp "$HOSTDIR/h.txt" cpin:/tmp/
  expect_status 0
  [ "$(berth cp cpin:/tmp/h.txt - | tar -xO)" = hello ]
  berth stop -t 1 cpin >/dev/null
  mkdir -p "$HOSTDIR/tree/d"
  echo deep > "$HOSTDIR/tree/d/f"
  run berth cp "$HOSTDIR/tree" cpin:/srv
  expect_status 0
  tar -C "$HOSTDIR" -cf - h.txt | berth cp - cpin:/root
  berth start cpin >/dev/null
  [ "$(berth cp cpin:/srv/d/f - | tar -xO)" = deep ]
  run berth cp cpin:/root/h.txt "$HOSTDIR/back.txt"
  expect_status 0
  [ "$(cat "$HOSTDIR/back.txt")" = hello ]
  berth rm -f cpin >/dev/null
}

@test "cp follows no symlink out of the container: a link to /etc/shadow copies the link" {
  berth run --name evil fsbox:1 sh -c 'ln -s /etc/shadow /leak; ln -s / /rootlink; ln -s ../../../../ /up' >/dev/null
  run berth cp evil:/leak "$HOSTDIR/leak"
  expect_status 0
  [ -L "$HOSTDIR/leak" ]
  [ "$(readlink "$HOSTDIR/leak")" = /etc/shadow ]
  # -L follows the link, but inside the container: its /etc/shadow does not exist.
  run berth cp -L evil:/leak "$HOSTDIR/followed"
  expect_status 1
  [ ! -e "$HOSTDIR/followed" ]
  # Through a symlinked parent, the container's own /etc is what is read.
  run berth cp evil:/up/etc/passwd "$HOSTDIR/passwd"
  expect_status 0
  [ "$(wc -l < "$HOSTDIR/passwd")" = 2 ]
  # Writing through a link to / lands in the container, never on the host.
  echo planted > "$HOSTDIR/planted-$$"
  run berth cp "$HOSTDIR/planted-$$" evil:/rootlink/tmp/
  expect_status 0
  [ ! -e "/tmp/planted-$$" ]
  [ "$(berth cp evil:/tmp/planted-$$ - | tar -xO)" = planted ]
  berth rm evil >/dev/null
}

@test "diff lists A, C and D; export is the root file system; commit makes a runnable image" {
  berth run --name changer fsbox:1 sh -c 'echo new > /added.txt; rm /bin/vi; echo x >> /etc/passwd' >/dev/null
  run berth diff changer
  expect_status 0
  [[ "$output" == *"A /added.txt"* ]]
  [[ "$output" == *"D /bin/vi"* ]]
  [[ "$output" == *"C /etc/passwd"* ]]
  [[ "$output" == *"C /etc"* ]]
  [[ "$output" != *"/etc/hosts"* ]]
  berth export changer > "$HOSTDIR/fs.tar"
  run tar -tf "$HOSTDIR/fs.tar"
  [[ "$output" == *"added.txt"* ]]
  [[ "$output" != *"bin/vi"$'\n'* ]]
  run berth export -o "$HOSTDIR/fs2.tar" changer
  expect_status 0
  [ -s "$HOSTDIR/fs2.tar" ]
  run berth commit -m "my change" -a "Ada <ada@example.com>" -c 'ENV MODE=prod' -c 'CMD ["cat","/added.txt"]' changer committed:v1
  expect_status 0
  [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
  run berth run --rm committed:v1
  expect_status 0
  [ "$output" = new ]
  run berth run --rm committed:v1 sh -c 'echo $MODE; ls /bin/vi'
  [ "${lines[0]}" = prod ]
  [ "$status" -ne 0 ]
  run berth history --format '{{.Comment}}' committed:v1
  [ "${lines[0]}" = "my change" ]
  run berth inspect --format '{{.Author}}' committed:v1
  [ "$output" = "Ada <ada@example.com>" ]
  run berth rmi committed:v1
  expect_status 0
  berth rm changer >/dev/null
}

@test "pause and unpause freeze the container; ps and inspect say Paused; rename" {
  berth run -d --name frozen fsbox:1 sh -c 'while true; do date +%s%N > /tmp/tick; sleep 0.1; done' >/dev/null
  sleep 0.3
  run berth pause frozen
  expect_status 0
  [ "$output" = frozen ]
  run berth inspect --format '{{.State.Status}} {{.State.Paused}}' frozen
  [ "$output" = "paused true" ]
  run berth ps --filter status=paused --format '{{.Names}} {{.Status}}'
  [[ "$output" =~ ^frozen\ Up\ .*\(Paused\)$ ]]
  t1=$(berth cp frozen:/tmp/tick - | tar -xO)
  sleep 0.5
  t2=$(berth cp frozen:/tmp/tick - | tar -xO)
  [ "$t1" = "$t2" ]
  run berth pause frozen
  expect_status 1
  [[ "$output" == *"is already paused"* ]]
  run berth unpause frozen
  expect_status 0
  sleep 0.5
  t3=$(berth cp frozen:/tmp/tick - | tar -xO)
  [ "$t3" != "$t2" ]
  run berth rename frozen thawed
  expect_status 0
  run berth inspect --format '{{.Name}}' thawed
  [ "$output" = /thawed ]
  berth create --name other fsbox:1 true >/dev/null
  run berth rename thawed other
  expect_status 1
  [[ "$output" == *'The container name "/other" is already in use'* ]]
  # A paused container still stops.
  berth pause thawed >/dev/null
  run berth stop -t 2 thawed
  expect_status 0
  run berth inspect --format '{{.State.Status}}' thawed
  [ "$output" = exited ]
  berth rm thawed other >/dev/null
}
