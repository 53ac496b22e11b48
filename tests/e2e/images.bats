#!/usr/bin/env bats
# Image commands as a Docker user types them: import, images, tag, rmi, inspect, history, prune.

load helpers

setup_file() { berth_setup_file; }
teardown_file() { berth_teardown_file; }

@test "import from a file prints the full id and lists the image with Docker's columns" {
  run berth import -c 'CMD ["sh"]' -c 'LABEL org.label-schema.name=busybox' "$BUSYBOX_TAR" busybox:latest
  expect_status 0
  [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
  id=${output#sha256:}
  run berth images
  expect_status 0
  [[ "${lines[0]}" =~ ^REPOSITORY\ +TAG\ +IMAGE\ ID\ +CREATED\ +SIZE$ ]]
  [[ "${lines[1]}" =~ ^busybox\ +latest\ +${id:0:12}\ +(Less\ than\ a\ second|[0-9]+\ seconds?|About\ a\ minute)\ ago\ +[0-9.]+[kM]B$ ]]
  # Columns line up as Docker's tabwriter does: TAG starts where "latest" starts.
  header_tag=$(awk '{print index($0, "TAG")}' <<<"${lines[0]}")
  row_tag=$(awk '{print index($0, "latest")}' <<<"${lines[1]}")
  [ "$header_tag" = "$row_tag" ]
}

@test "import from stdin with a message; same content gives the same layer" {
  run bash -c "cat '$BUSYBOX_TAR' | '$BERTH' --root '$BERTH_TEST_ROOT' import -m 'from a pipe' - piped:v1"
  expect_status 0
  run berth history piped:v1
  expect_status 0
  [[ "${lines[0]}" =~ ^IMAGE\ +CREATED\ +CREATED\ BY\ +SIZE\ +COMMENT$ ]]
  [[ "${lines[1]}" == *"from a pipe"* ]]
  run berth inspect --format '{{json .RootFS.Layers}}' piped:v1
  piped_layers=$output
  run berth inspect --format '{{json .RootFS.Layers}}' busybox
  [ "$output" = "$piped_layers" ]
}

@test "import of a gzip-compressed tarball" {
  gzip -c "$BUSYBOX_TAR" > "$BERTH_TEST_ROOT/bb.tar.gz"
  run berth import "$BERTH_TEST_ROOT/bb.tar.gz" gz:latest
  expect_status 0
  run berth inspect --format '{{json .RootFS.Layers}}' gz
  gz_layers=$output
  run berth inspect --format '{{json .RootFS.Layers}}' busybox
  [ "$output" = "$gz_layers" ]
  berth rmi gz
}

@test "inspect shows Docker's shape and the seeds' --format lines work" {
  run berth inspect busybox
  expect_status 0
  python3 -c 'import json,sys; d=json.load(sys.stdin); assert isinstance(d,list) and d[0]["RepoTags"]==["busybox:latest"], d; assert d[0]["Config"]["Cmd"]==["sh"]; assert d[0]["Os"]=="linux"; assert d[0]["RootFS"]["Type"]=="layers"' <<<"$output"
  run berth inspect busybox --format '{{json .ContainerConfig.Labels}}'
  expect_status 0
  [ "$output" = '{"org.label-schema.name":"busybox"}' ]
  run bash -c "'$BERTH' --root '$BERTH_TEST_ROOT' inspect busybox --format '{{json .ContainerConfig.Labels}}' | python3 -m json.tool"
  expect_status 0
  [[ "$output" == *'"org.label-schema.name": "busybox"'* ]]
  run berth inspect busybox --format '{{index .ContainerConfig.Labels "org.label-schema.name"}}'
  expect_status 0
  [ "$output" = "busybox" ]
  run berth image inspect --format '{{.Id}}' busybox
  [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
}

@test "tag, then list by repository, -q, --no-trunc, --digests and --format" {
  berth tag busybox myimage:1.0
  berth tag busybox localhost:5000/team/myimage:1.0
  run berth images myimage
  expect_status 0
  [ "${#lines[@]}" -eq 2 ]
  [[ "${lines[1]}" =~ ^myimage\ +1\.0\  ]]
  run berth images -q
  expect_status 0
  # One line per image, not per tag.
  [ "$(printf '%s\n' "${lines[@]}" | sort -u | wc -l)" -eq "${#lines[@]}" ]
  run berth images --no-trunc --format '{{.ID}}' myimage:1.0
  [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
  run berth images --digests busybox
  [[ "${lines[0]}" =~ ^REPOSITORY\ +TAG\ +DIGEST\ +IMAGE\ ID ]]
  run berth images --format 'table {{.Repository}}:{{.Tag}}\t{{.Size}}' --filter reference='*/team/*'
  expect_status 0
  [[ "${lines[0]}" =~ ^REPOSITORY:TAG\ +SIZE$ ]]
  [[ "${lines[1]}" =~ ^localhost:5000/team/myimage:1\.0\  ]]
  [ "${#lines[@]}" -eq 2 ]
}

@test "filters: label, dangling, before and since" {
  run berth images --filter label=org.label-schema.name=busybox --format '{{.Repository}}'
  expect_status 0
  [[ "$output" == *busybox* ]]
  [[ "$output" != *piped* ]]
  run berth images --filter label=nope --format '{{.Repository}}'
  [ -z "$output" ]
  sleep 1
  berth import -c 'LABEL stage=new' "$BUSYBOX_TAR" newer:1 >/dev/null
  run berth images --filter since=busybox --format '{{.Repository}}'
  [[ "$output" == *newer* ]]
  [[ "$output" != *myimage* ]]
  run berth images --filter before=newer:1 --format '{{.Repository}}'
  [[ "$output" != *newer* ]]
  run berth images --filter dangling=true -q
  [ -z "$output" ]
  run berth images --filter bogus=1
  expect_status 1
  [[ "$output" == *"invalid filter 'bogus'"* ]]
}

@test "rmi untags first and deletes with the last tag, as Docker" {
  run berth rmi myimage:1.0
  expect_status 0
  [ "$output" = "Untagged: myimage:1.0" ]
  id=$(berth inspect --format '{{.Id}}' newer:1)
  run berth rmi newer:1
  expect_status 0
  [ "${lines[0]}" = "Untagged: newer:1" ]
  [ "${lines[1]}" = "Deleted: $id" ]
  run berth inspect newer:1
  expect_status 1
  # As Docker: an empty JSON list on stdout, the error on stderr.
  [ "${lines[0]}" = "[]" ]
  [ "${lines[1]}" = "Error: No such object: newer:1" ]
}

@test "rmi by id of an image in several repositories needs -f" {
  id=$(berth inspect --format '{{.Id}}' busybox)
  short=${id:7:12}
  run berth rmi "$short"
  expect_status 1
  [ "$output" = "Error: conflict: unable to delete $short (must be forced) - image is referenced in multiple repositories" ]
  run berth rmi nosuch:tag
  expect_status 1
  [ "$output" = "Error: No such image: nosuch:tag" ]
}

@test "dangling images show as <none> and image prune removes them" {
  berth import -c 'LABEL v=1' "$BUSYBOX_TAR" dangle:x >/dev/null
  berth import -c 'LABEL v=2' "$BUSYBOX_TAR" dangle:x >/dev/null
  run berth images --filter dangling=true --format '{{.Repository}} {{.Tag}}'
  expect_status 0
  [ "$output" = "<none> <none>" ]
  run berth image prune -f
  expect_status 0
  [ "${lines[0]}" = "Deleted Images:" ]
  [[ "${lines[1]}" =~ ^deleted:\ sha256:[0-9a-f]{64}$ ]]
  [[ "$output" == *"Total reclaimed space:"* ]]
  run berth images --filter dangling=true -q
  [ -z "$output" ]
  berth rmi dangle:x
}

@test "system prune removes stopped containers, unused networks, dangling images and the build cache" {
  berth import "$BUSYBOX_TAR" sp:base >/dev/null
  id=$(berth create --name sp-stopped --network none sp:base true)
  berth network create sp-net >/dev/null
  berth import -c 'LABEL v=1' "$BUSYBOX_TAR" sp:dangle >/dev/null
  berth import -c 'LABEL v=2' "$BUSYBOX_TAR" sp:dangle >/dev/null
  local ctx="$BERTH_TEST_ROOT/spctx"
  mkdir -p "$ctx"
  echo x > "$ctx/f"
  printf 'FROM sp:base\nCOPY f /f\n' > "$ctx/Dockerfile"
  berth build -q -t sp:built "$ctx" >/dev/null
  run berth system df --format '{{.Type}} {{.TotalCount}}'
  [[ "$output" == *"Build Cache 1"* ]]
  run berth system prune -f
  expect_status 0
  [[ "$output" == *"Deleted Containers:"*"$id"* ]]
  [[ "$output" == *"Deleted Networks:"*"sp-net"* ]]
  [[ "$output" == *"Deleted Images:"*"deleted: sha256:"* ]]
  [[ "${lines[${#lines[@]}-1]}" == "Total reclaimed space: "* ]]
  run berth ps -a -q --filter name=sp-stopped
  [ -z "$output" ]
  run berth network ls --format '{{.Name}}'
  [[ "$output" != *sp-net* ]]
  run berth images --filter dangling=true -q
  [ -z "$output" ]
  run berth system df --format '{{.Type}} {{.TotalCount}}'
  [[ "$output" == *"Build Cache 0"* ]]
  # Tagged images stay (no -a).
  berth inspect sp:base sp:built >/dev/null
  berth rmi sp:base sp:built sp:dangle >/dev/null
}

@test "the seeds' rmi \$(berth images -a -q) removes everything" {
  run bash -c "'$BERTH' --root '$BERTH_TEST_ROOT' rmi -f \$('$BERTH' --root '$BERTH_TEST_ROOT' images -a -q)"
  expect_status 0
  run berth images -q
  [ -z "$output" ]
  run berth system check
  expect_status 0
  [[ "$output" == *"store is consistent"* ]]
  run berth system df --format '{{.Type}} {{.TotalCount}} {{.Size}}'
  [ "${lines[0]}" = "Images 0 0B" ]
  # Nothing is left on disk once the last image is gone.
  [ -z "$(ls -A "$BERTH_TEST_ROOT/blobs/sha256")" ]
}

@test "bad input: unknown flag is 125, missing argument is 1, bad reference names the problem" {
  run berth images --bogus
  expect_status 125
  [ "${lines[0]}" = "unknown flag: --bogus" ]
  [ "${lines[1]}" = "See 'berth images --help'." ]
  run berth rmi
  expect_status 1
  [[ "${lines[0]}" == '"berth rmi" requires at least 1 argument.' ]]
  berth import "$BUSYBOX_TAR" ok:1 >/dev/null
  run berth tag ok:1 Bad:1
  expect_status 1
  [ "$output" = "Error: invalid reference format: repository name (library/Bad) must be lowercase" ]
  run berth import -c 'RUN true' "$BUSYBOX_TAR"
  expect_status 1
  [ "$output" = "Error: RUN is not a valid change command" ]
  run berth frobnicate
  expect_status 1
  [ "${lines[0]}" = "berth: 'frobnicate' is not a berth command." ]
}

@test "version, info and help" {
  run berth version --format '{{.Client.Version}}'
  expect_status 0
  [[ "$output" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]
  run "$BERTH" --version
  [[ "$output" =~ ^berth\ version\  ]]
  run berth info --format '{{.Driver}} {{.DockerRootDir}}'
  expect_status 0
  [ "$output" = "overlay2 $BERTH_TEST_ROOT" ]
  run berth info
  [[ "$output" == *"Images: "* ]]
  run berth help images
  expect_status 0
  [[ "$output" == *"--digests"* ]]
  run berth image ls --help
  expect_status 0
  [[ "$output" == *"--filter"* ]]
}
