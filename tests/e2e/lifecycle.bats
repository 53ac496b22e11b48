#!/usr/bin/env bats
# Container lifecycle details: container names (one atomic owner per name, Docker's conflict
# errors) and joining another container's namespaces (--ipc/--pid container:<name|id>).

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  berth_setup_file
  berth import -c 'CMD ["sh"]' "$BUSYBOX_TAR" busybox >/dev/null
}
teardown_file() {
  berth_teardown_file
}

conflict_msg() {  # conflict_msg NAME ID
  echo "Conflict. The container name \"/$1\" is already in use by container \"$2\". You have to remove (or rename) that container to be able to reuse that name."
}

@test "a taken name: create and run fail with Docker's conflict error (125), rename too; a freed name is reusable" {
  id=$(berth create --name taken busybox true)
  run berth create --name taken busybox true
  expect_status 125
  [[ "$output" == *"$(conflict_msg taken "$id")"* ]]
  run berth run --name /taken busybox true
  expect_status 125
  [[ "$output" == *"$(conflict_msg taken "$id")"* ]]
  other=$(berth create --name other busybox true)
  run berth rename other taken
  expect_status 1
  [[ "$output" == *"Error when allocating new name: $(conflict_msg taken "$id")"* ]]
  # rename frees the old name at once and takes the new one.
  berth rename taken renamed
  run berth create --name renamed busybox true
  expect_status 125
  [[ "$output" == *"$(conflict_msg renamed "$id")"* ]]
  again=$(berth create --name taken busybox true)
  [ "$again" != "$id" ]
  run berth inspect --format '{{.Name}}' "$id"
  [ "$output" = /renamed ]
  berth rm "$id" "$other" "$again" >/dev/null
  # Removed: the name is free again.
  berth create --name renamed busybox true >/dev/null
  berth rm renamed >/dev/null
}

@test "creates racing for one name: exactly one wins, the others get the conflict error" {
  pids=()
  for i in $(seq 1 6); do
    ( rc=0; berth create --name race busybox true >"$BERTH_TEST_ROOT/race.$i.out" 2>&1 || rc=$?
      echo $rc >"$BERTH_TEST_ROOT/race.$i.rc" ) &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  won=0
  for i in $(seq 1 6); do
    rc=$(cat "$BERTH_TEST_ROOT/race.$i.rc")
    if [ "$rc" = 0 ]; then
      won=$((won + 1))
    else
      [ "$rc" = 125 ]
      grep -q 'Conflict. The container name "/race" is already in use by container' "$BERTH_TEST_ROOT/race.$i.out"
    fi
  done
  [ "$won" = 1 ]
  run berth ps -a --filter name=race --format '{{.Names}}'
  [ "$output" = race ]
  berth rm race >/dev/null
}


@test "--pid container:A: a process in B sees A's processes; --ipc container:A shares A's IPC namespace" {
  berth run -d --name nsa busybox sleep 1000 >/dev/null
  # B's ps lists A's sleep (and B's own ps), in A's pid namespace.
  run berth run --rm --pid container:nsa busybox ps -o pid,args
  expect_status 0
  [[ "$output" == *"sleep 1000"* ]]
  run berth run --rm --pid container:nsa busybox readlink /proc/self/ns/pid
  [ "$output" = "$(berth exec nsa readlink /proc/self/ns/pid)" ]
  # Without it B has a pid namespace of its own.
  run berth run --rm busybox ps -o args
  [[ "$output" != *"sleep 1000"* ]]
  # IPC: the same namespace, so the same SysV objects (/proc/sysvipc lists them).
  a_ipc=$(berth exec nsa readlink /proc/self/ns/ipc)
  run berth run --rm --ipc container:nsa busybox readlink /proc/self/ns/ipc
  expect_status 0
  [ "$output" = "$a_ipc" ]
  run berth run --rm busybox readlink /proc/self/ns/ipc
  [ "$output" != "$a_ipc" ]
  # By id, too.
  id=$(berth inspect --format '{{.Id}}' nsa)
  run berth run --rm --ipc "container:${id:0:12}" busybox readlink /proc/self/ns/ipc
  [ "$output" = "$a_ipc" ]
  berth rm -f nsa >/dev/null
}

@test "--ipc container:A shares A's /dev/shm both ways, with no shm mount on the host" {
  berth run -d --name shma --shm-size 8m busybox sleep 1000 >/dev/null
  berth exec shma sh -c 'echo from-a > /dev/shm/a'
  # B reads A's file, writes one A sees, and has A's 8m tmpfs, not a default 64m one.
  run berth run --rm --ipc container:shma busybox sh -c 'cat /dev/shm/a; echo from-b > /dev/shm/b; df -k /dev/shm | tail -n1'
  expect_status 0
  [ "${lines[0]}" = from-a ]
  [[ "${lines[1]}" == *" 8192 "* ]]
  run berth exec shma cat /dev/shm/b
  [ "$output" = from-b ]
  # A container without --ipc has its own, empty /dev/shm.
  run berth run --rm busybox ls /dev/shm
  expect_status 0
  [ -z "$output" ]
  # Nothing of A's shm is mounted in berth's (the host's) mount namespace.
  id=$(berth inspect --format '{{.Id}}' shma)
  ! grep -q "$id" /proc/self/mountinfo
  berth rm -f shma >/dev/null
}

@test "--ipc/--pid container:X: Docker's errors for a missing or stopped container" {
  run berth run --rm --pid container:nosuch busybox true
  expect_status 125
  [[ "$output" == *"No such container: nosuch"* ]]
  berth create --name stopped busybox true >/dev/null
  run berth run --rm --ipc container:stopped busybox true
  expect_status 125
  [[ "$output" == *"container "*" is not running"* ]]
  run berth run --rm --pid container:stopped busybox true
  expect_status 125
  [[ "$output" == *"is not running"* ]]
  run berth run --rm --uts container:stopped busybox true
  expect_status 125
  [[ "$output" == *'invalid uts mode "container:stopped"'* ]]
  berth rm stopped >/dev/null
}
