#!/usr/bin/env bats
# save/load round trips, with berth on both ends and with the real podman and skopeo.

load helpers

setup_file() {
  berth_setup_file
  export PODMAN_DIR="$BERTH_TEST_ROOT/podman"
  mkdir -p "$PODMAN_DIR"
  # A private podman config and store (../shared/PEERS.md): nothing outside the test is touched.
  cat > "$PODMAN_DIR/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "none"
CONF
  berth import -c 'CMD ["sh"]' -c 'ENV APP=berth' "$BUSYBOX_TAR" busybox:latest >/dev/null
  berth tag busybox busybox:extra
}
teardown_file() { berth_teardown_file; }

podman_() {
  CONTAINERS_CONF="$PODMAN_DIR/containers.conf" podman --root "$PODMAN_DIR/root" \
    --runroot "$PODMAN_DIR/runroot" --storage-driver vfs "$@"
}

@test "save refuses a terminal and writes nothing on failure" {
  run berth save -o "$BERTH_TEST_ROOT/none.tar" nosuch:image
  expect_status 1
  [ "$output" = "Error: No such image: nosuch:image" ]
  [ ! -e "$BERTH_TEST_ROOT/none.tar" ]
  [ -z "$(ls -A "$BERTH_TEST_ROOT" | grep berth-tmp || true)" ]
}

@test "berth save | berth load restores the same id and tags" {
  id=$(berth inspect --format '{{.Id}}' busybox)
  berth save -o "$BERTH_TEST_ROOT/bb.tar" busybox:latest
  tar -tf "$BERTH_TEST_ROOT/bb.tar" | grep -qx manifest.json
  tar -tf "$BERTH_TEST_ROOT/bb.tar" | grep -qx index.json
  tar -tf "$BERTH_TEST_ROOT/bb.tar" | grep -qx oci-layout
  berth rmi -f busybox:latest busybox:extra
  run berth load -i "$BERTH_TEST_ROOT/bb.tar"
  expect_status 0
  [ "$output" = "Loaded image: busybox:latest" ]
  [ "$(berth inspect --format '{{.Id}}' busybox)" = "$id" ]
  run bash -c "'$BERTH' --root '$BERTH_TEST_ROOT' save busybox | '$BERTH' --root '$BERTH_TEST_ROOT' load"
  expect_status 0
  [ "$output" = "Loaded image: busybox:latest" ]
}

@test "berth save | podman load: podman sees the image with its config" {
  berth save -o "$BERTH_TEST_ROOT/for-podman.tar" busybox
  run podman_ load -i "$BERTH_TEST_ROOT/for-podman.tar"
  expect_status 0
  [[ "$output" == *"Loaded image"*"busybox:latest"* ]]
  run podman_ image inspect --format '{{.Config.Env}}' docker.io/library/busybox:latest
  expect_status 0
  [[ "$output" == *"APP=berth"* ]]
  berth_id=$(berth inspect --format '{{.Id}}' busybox)
  podman_id=$(podman_ image inspect --format '{{.Id}}' docker.io/library/busybox:latest)
  [ "sha256:$podman_id" = "$berth_id" ]
}

@test "podman save | berth load, docker-archive and oci-archive" {
  podman_ tag docker.io/library/busybox:latest localhost/frompodman:v1
  podman_ save --format docker-archive -o "$BERTH_TEST_ROOT/podman-docker.tar" localhost/frompodman:v1
  run berth load -i "$BERTH_TEST_ROOT/podman-docker.tar"
  expect_status 0
  [ "$output" = "Loaded image: localhost/frompodman:v1" ]
  podman_ save --format oci-archive -o "$BERTH_TEST_ROOT/podman-oci.tar" localhost/frompodman:v1
  berth rmi localhost/frompodman:v1
  run berth load -i "$BERTH_TEST_ROOT/podman-oci.tar"
  expect_status 0
  [[ "$output" == "Loaded image"* ]]
  run berth inspect --format '{{.Config.Env}}' "$(berth images -q | head -1)"
  [[ "$output" == *"APP=berth"* ]]
}

@test "skopeo reads berth's archive as docker-archive and as oci-archive, and berth loads skopeo's gzip OCI archive" {
  berth save -o "$BERTH_TEST_ROOT/for-skopeo.tar" busybox:latest
  run skopeo inspect --config "docker-archive:$BERTH_TEST_ROOT/for-skopeo.tar"
  expect_status 0
  [[ "$output" == *"APP=berth"* ]]
  run skopeo inspect "oci-archive:$BERTH_TEST_ROOT/for-skopeo.tar"
  expect_status 0
  run skopeo copy --dest-compress-format gzip "docker-archive:$BERTH_TEST_ROOT/for-skopeo.tar" \
    "oci-archive:$BERTH_TEST_ROOT/skopeo-oci.tar:docker.io/library/fromskopeo:gz"
  expect_status 0
  layers=$(berth inspect --format '{{json .RootFS.Layers}}' busybox)
  run berth load -i "$BERTH_TEST_ROOT/skopeo-oci.tar"
  expect_status 0
  [ "$output" = "Loaded image: fromskopeo:gz" ]
  # skopeo rewrites the config when it converts formats, so compare content, not ids: the gzip
  # layer decompresses to the same diff id, and the config keeps its settings.
  [ "$(berth inspect --format '{{json .RootFS.Layers}}' fromskopeo:gz)" = "$layers" ]
  run berth inspect --format '{{.Config.Env}}' fromskopeo:gz
  [[ "$output" == *"APP=berth"* ]]
}
