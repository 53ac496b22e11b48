#!/usr/bin/env bats
# Named and anonymous volumes, -v and --mount, and the volume commands (seed 004's dv/drv).

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  berth_setup_file
  berth import -c 'CMD ["sh"]' "$BUSYBOX_TAR" vbox:1 >/dev/null
  # An image with content in /data (owned by nobody) and a VOLUME there.
  local d="$BERTH_TEST_ROOT/withdata"
  mkdir -p "$d"
  tar -C "$d" -xf "$BUSYBOX_TAR"
  mkdir -p "$d/data/sub"
  echo seeded > "$d/data/seed.txt"
  echo deep > "$d/data/sub/deep.txt"
  chown -R 65534:65534 "$d/data"
  tar --numeric-owner -C "$d" -cf "$BERTH_TEST_ROOT/withdata.tar" .
  rm -rf "$d"
  berth import -c 'VOLUME ["/data"]' -c 'CMD ["sh"]' "$BERTH_TEST_ROOT/withdata.tar" withdata:1 >/dev/null
}
teardown_file() {
  for id in $("$BERTH" --root "$BERTH_TEST_ROOT" ps -aq 2>/dev/null); do
    "$BERTH" --root "$BERTH_TEST_ROOT" rm -f "$id" >/dev/null 2>&1 || true
  done
  berth_teardown_file
}

@test "volume create, ls (dv), inspect and rm (drv) as Docker prints them" {
  run berth volume create --label team=ml models
  expect_status 0
  [ "$output" = "models" ]
  run berth volume ls
  expect_status 0
  [[ "${lines[0]}" =~ ^DRIVER\ +VOLUME\ NAME$ ]]
  [[ "$output" =~ local\ +models ]]
  run berth volume inspect models
  expect_status 0
  [ "$(echo "$output" | jq -r '.[0].Name')" = models ]
  [ "$(echo "$output" | jq -r '.[0].Driver')" = local ]
  [ "$(echo "$output" | jq -r '.[0].Labels.team')" = ml ]
  [ "$(echo "$output" | jq -r '.[0].Scope')" = local ]
  mp=$(echo "$output" | jq -r '.[0].Mountpoint')
  [ "$mp" = "$BERTH_TEST_ROOT/volumes/models/_data" ]
  [ -d "$mp" ]
  run berth volume ls -q --filter label=team=ml
  [ "$output" = models ]
  run berth volume inspect --format '{{.Name}} {{.Driver}}' models
  [ "$output" = "models local" ]
  run berth volume rm models
  expect_status 0
  [ "$output" = models ]
  [ ! -d "$mp" ]
  run berth volume rm models
  expect_status 1
  [[ "$output" == *"get models: no such volume"* ]]
  run berth volume rm -f models
  expect_status 0
  [ "$output" = models ]
  run berth volume create 'bad name'
  expect_status 1
  [[ "$output" == *'includes invalid characters for a local volume name'* ]]
}

@test "a named volume keeps data between containers and is created on first use" {
  run berth run --rm -v keep:/keep vbox:1 sh -c 'echo 42 > /keep/answer'
  expect_status 0
  run berth run --rm -v keep:/keep:ro vbox:1 cat /keep/answer
  expect_status 0
  [ "$output" = 42 ]
  run berth run --rm -v keep:/keep:ro vbox:1 sh -c 'echo x > /keep/other'
  [ "$status" -ne 0 ]
  [[ "$output" == *"Read-only file system"* ]]
  berth volume rm keep
}

@test "a new volume is filled from the image (owner kept); a used one is not" {
  run berth run --rm -v filled:/data withdata:1 sh -c 'cat /data/seed.txt /data/sub/deep.txt; stat -c %u /data/seed.txt'
  expect_status 0
  [ "${lines[0]}" = seeded ]
  [ "${lines[1]}" = deep ]
  [ "${lines[2]}" = 65534 ]
  berth run --rm -v filled:/data withdata:1 sh -c 'rm /data/seed.txt; echo mine > /data/own.txt'
  run berth run --rm -v filled:/data withdata:1 ls /data
  [[ "$output" == *own.txt* ]]
  [[ "$output" != *seed.txt* ]]
  run berth run --rm -v empty:/data:nocopy withdata:1 ls -A /data
  expect_status 0
  [ -z "$output" ]
  berth volume rm filled empty
}

@test "a volume in use cannot be removed; rm -v and --rm remove anonymous volumes only" {
  berth create --name user1 -v shared:/s -v /anon vbox:1 true >/dev/null
  run berth volume rm shared
  expect_status 1
  [[ "$output" == *"remove shared: volume is in use - ["* ]]
  anon=$(berth inspect --format '{{range .Mounts}}{{if eq .Destination "/anon"}}{{.Name}}{{end}}{{end}}' user1)
  [[ "$anon" =~ ^[0-9a-f]{64}$ ]]
  run berth inspect --format '{{range .Mounts}}{{.Type}}:{{.Destination}} {{end}}' user1
  [[ "$output" == *"volume:/s"* && "$output" == *"volume:/anon"* ]]
  berth rm -v user1 >/dev/null
  run berth volume ls -q
  [[ "$output" == *shared* ]]
  [[ "$output" != *"$anon"* ]]
  # The image's VOLUME /data becomes an anonymous volume that --rm removes.
  before=$(berth volume ls -q | wc -l)
  run berth run --rm withdata:1 cat /data/seed.txt
  [ "$output" = seeded ]
  [ "$(berth volume ls -q | wc -l)" = "$before" ]
  berth volume rm shared
}

@test "volume prune removes unused anonymous volumes; -a also named ones; used ones stay" {
  berth create --name holder -v held:/h vbox:1 true >/dev/null
  berth create --name gone -v /tmpvol vbox:1 true >/dev/null
  berth rm gone >/dev/null  # without -v: its anonymous volume is left behind
  berth volume create named >/dev/null
  run berth volume prune -f
  expect_status 0
  [[ "${lines[0]}" = "Deleted Volumes:" ]]
  [[ "${lines[1]}" =~ ^[0-9a-f]{64}$ ]]
  [[ "$output" == *"Total reclaimed space:"* ]]
  run berth volume ls -q
  [[ "$output" == *named* && "$output" == *held* ]]
  run berth volume prune -a -f
  [[ "$output" == *named* ]]
  run berth volume ls -q
  [ "$output" = held ]
  berth rm holder >/dev/null
  berth volume rm held
}

@test "--mount bind, volume and tmpfs; bad --mount is a flag error" {
  host=$(mktemp -d)
  echo hostfile > "$host/f"
  run berth run --rm --mount type=bind,source="$host",target=/h,readonly vbox:1 sh -c 'cat /h/f; touch /h/x'
  [ "$status" -ne 0 ]
  [ "${lines[0]}" = hostfile ]
  [ ! -e "$host/x" ]
  run berth run --rm --mount type=volume,src=mvol,dst=/m vbox:1 sh -c 'touch /m/ok && ls /m'
  expect_status 0
  [ "$output" = ok ]
  run berth run --rm --mount type=tmpfs,destination=/scratch,tmpfs-size=1m vbox:1 sh -c 'grep " /scratch " /proc/mounts'
  expect_status 0
  [[ "$output" == *tmpfs*size=1024k* ]]
  run berth run --rm --mount type=bind,src=/nonexistent/x,dst=/x vbox:1 true
  expect_status 125
  [[ "$output" == *"bind source path does not exist: /nonexistent/x"* ]]
  run berth run --rm --mount type=bind,src="$host" vbox:1 true
  expect_status 125
  [[ "$output" == *"target is required"* ]]
  run berth run --rm -v "$host":relative vbox:1 true
  expect_status 125
  [[ "$output" == *"mount path must be absolute"* ]]
  rm -rf "$host"
  berth volume rm mvol
}
