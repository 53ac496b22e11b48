#!/usr/bin/env bats
# The registry client against the real Debian docker-registry (distribution v2) on 127.0.0.1:
# plain HTTP, htpasswd Basic auth, TLS with a test CA in a certs.d dir, and interop with skopeo.

load helpers

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_registry NAME [extra YAML]: a registry with its own storage; sets <NAME>_PORT.
start_registry() {
  local name=$1 extra=${2:-} dir="$REG_DIR/$1" port
  port=$(free_port)
  mkdir -p "$dir/storage"
  cat > "$dir/config.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
$extra
YAML
  # The registry reads REGISTRY_* variables as configuration: keep ours (auth.json) from it.
  env -u REGISTRY_AUTH_FILE docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 3>&- &
  echo $! > "$dir/pid"
  local scheme=http
  [[ "$extra" == *"tls:"* ]] && scheme=https
  for _ in $(seq 1 100); do
    curl -sk -o /dev/null "$scheme://127.0.0.1:$port/v2/" && break
    sleep 0.1
  done
  eval "export ${name^^}_PORT=$port"
}

setup_file() {
  berth_setup_file
  export REG_DIR="$BERTH_TEST_ROOT/registries"
  mkdir -p "$REG_DIR"
  # Credentials and certificates of this file only: nothing under $HOME or /etc is touched.
  export DOCKER_CONFIG="$BERTH_TEST_ROOT/docker-config"
  export REGISTRY_AUTH_FILE="$BERTH_TEST_ROOT/podman-auth.json"
  echo '{"auths": {}}' > "$REGISTRY_AUTH_FILE"
  export BERTH_CERTS_D="$BERTH_TEST_ROOT/certs.d"
  export BERTH_REGISTRIES_CONF="$BERTH_TEST_ROOT/registries.conf"
  mkdir -p "$BERTH_CERTS_D"
  start_registry plain

  htpasswd -Bbn alice s3cret > "$REG_DIR/htpasswd"
  start_registry auth "auth:
  htpasswd:
    realm: basic-realm
    path: $REG_DIR/htpasswd"

  # A test CA and a server certificate for 127.0.0.1 signed by it.
  local t="$REG_DIR/tls-certs"
  mkdir -p "$t"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$t/ca.key" -out "$t/ca.crt" -days 2 \
    -subj "/CN=berth test CA" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout "$t/server.key" -out "$t/server.csr" \
    -subj "/CN=127.0.0.1" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\n' > "$t/ext"
  openssl x509 -req -in "$t/server.csr" -CA "$t/ca.crt" -CAkey "$t/ca.key" -CAcreateserial \
    -out "$t/server.crt" -days 2 -extfile "$t/ext" 2>/dev/null
  start_registry tls "  tls:
    certificate: $t/server.crt
    key: $t/server.key"

  # Bearer tokens: a small issuer (tests/fixtures/token-server.py) in front of a real registry.
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$t/token.key" -out "$t/token.crt" -days 2 \
    -subj "/CN=berth token issuer" 2>/dev/null
  mkdir -p "$REG_DIR/issuer"
  python3 "$BERTH_SRC/tests/fixtures/token-server.py" "$REG_DIR/issuer/port" "$t/token.key" \
    "$t/token.crt" berth-issuer alice:s3cret >"$REG_DIR/issuer/log" 2>&1 3>&- &
  echo $! > "$REG_DIR/issuer/pid"
  for _ in $(seq 1 100); do [ -s "$REG_DIR/issuer/port" ] && break; sleep 0.1; done
  export ISSUER_PORT; ISSUER_PORT=$(cat "$REG_DIR/issuer/port")
  start_registry token "auth:
  token:
    realm: http://127.0.0.1:$ISSUER_PORT/token
    service: berth-registry
    issuer: berth-issuer
    rootcertbundle: $t/token.crt"

  berth import -c 'CMD ["sh"]' -c 'ENV APP=berth' "$BUSYBOX_TAR" busybox:latest >/dev/null
  export P=127.0.0.1:$PLAIN_PORT
}

teardown_file() {
  for f in "$REG_DIR"/*/pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  for f in "$REG_DIR"/*/pid; do
    [ -f "$f" ] && while kill -0 "$(cat "$f")" 2>/dev/null; do sleep 0.05; done
  done
  mountpoint -q "$BERTH_TEST_ROOT/small" 2>/dev/null && umount "$BERTH_TEST_ROOT/small"
  berth_teardown_file
}

# The local busybox image (imported again when a test removed it).
ensure_src() {
  berth inspect busybox:latest >/dev/null 2>&1 ||
    berth import -c 'CMD ["sh"]' -c 'ENV APP=berth' "$BUSYBOX_TAR" busybox:latest >/dev/null
}

manifest_digest() {  # REPO TAG [PORT]: the digest the registry serves for a tag
  curl -sI -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://127.0.0.1:${3:-$PLAIN_PORT}/v2/$1/manifests/$2" |
    tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}'
}

@test "push to a plain-HTTP registry prints Docker's lines and the registry serves the digest" {
  berth tag busybox "$P/busybox:latest"
  run berth push "$P/busybox:latest"
  expect_status 0
  [ "${lines[0]}" = "The push refers to repository [$P/busybox]" ]
  [[ "$output" == *": Preparing"* ]]
  [[ "$output" == *": Pushed"* ]]
  last="${lines[${#lines[@]}-1]}"
  [[ "$last" =~ ^latest:\ digest:\ (sha256:[0-9a-f]{64})\ size:\ ([0-9]+)$ ]]
  [ "${BASH_REMATCH[1]}" = "$(manifest_digest busybox latest)" ]
  # The manifest is Docker schema2 with a gzip layer.
  m=$(curl -s -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$P/v2/busybox/manifests/latest")
  [ "$(echo "$m" | jq -r .layers[0].mediaType)" = "application/vnd.docker.image.rootfs.diff.tar.gzip" ]
  [ "${#m}" = "${BASH_REMATCH[2]}" ]
  # RepoDigests now names the pushed manifest.
  run berth inspect --format '{{json .RepoDigests}}' "$P/busybox:latest"
  [[ "$output" == *"$P/busybox@${BASH_REMATCH[1]}"* ]]
}

@test "a second push reuses the compressed layer: same digest, layers already exist" {
  first=$(manifest_digest busybox latest)
  run berth push "$P/busybox:latest"
  expect_status 0
  [[ "$output" == *"Layer already exists"* ]]
  [[ "$output" != *"Pushed"* ]]
  [[ "${lines[${#lines[@]}-1]}" == "latest: digest: $first size: "* ]]
}

@test "push to another repository of the same registry mounts the layer" {
  berth tag busybox "$P/team/copy:v1"
  run berth push "$P/team/copy:v1"
  expect_status 0
  [[ "$output" == *"Mounted from busybox"* ]]
  [ -n "$(manifest_digest team/copy v1)" ]
}

@test "rmi, pull, run: the pulled image is the pushed one" {
  id=$(berth inspect --format '{{.Id}}' busybox)
  berth rmi "$P/busybox:latest" "$P/team/copy:v1" busybox:latest
  run berth pull "$P/busybox"
  expect_status 0
  [ "${lines[0]}" = "Using default tag: latest" ]
  [ "${lines[1]}" = "latest: Pulling from busybox" ]
  [[ "$output" == *": Pulling fs layer"* ]]
  [[ "$output" == *": Download complete"* ]]
  [[ "$output" == *": Pull complete"* ]]
  [[ "$output" == *"Digest: $(manifest_digest busybox latest)"* ]]
  [[ "$output" == *"Status: Downloaded newer image for $P/busybox:latest"* ]]
  [ "${lines[${#lines[@]}-1]}" = "$P/busybox:latest" ]
  [ "$(berth inspect --format '{{.Id}}' "$P/busybox")" = "$id" ]
  run berth run --rm "$P/busybox" sh -c 'echo hello from $APP'
  expect_status 0
  [ "$output" = "hello from berth" ]
}

@test "pulling again says the image is up to date; -q prints only the reference" {
  run berth pull "$P/busybox:latest"
  expect_status 0
  [[ "$output" == *"Status: Image is up to date for $P/busybox:latest"* ]]
  run berth pull -q "$P/busybox:latest"
  expect_status 0
  [ "$output" = "$P/busybox:latest" ]
}

@test "pull by digest; images --digests and RepoDigests show it" {
  d=$(manifest_digest busybox latest)
  berth rmi "$P/busybox:latest"
  run berth pull "$P/busybox@$d"
  expect_status 0
  [ "${lines[0]}" = "$d: Pulling from busybox" ]
  [ "${lines[${#lines[@]}-1]}" = "$P/busybox@$d" ]
  run berth images --digests --format '{{.Repository}} {{.Tag}} {{.Digest}}'
  [[ "$output" == *"$P/busybox <none> $d"* ]]
  run berth images --digests
  [[ "${lines[0]}" == "REPOSITORY"*"TAG"*"DIGEST"*"IMAGE ID"* ]]
  [[ "$output" == *"$d"* ]]
  run berth inspect --format '{{json .RepoDigests}}' "$P/busybox@$d"
  [ "$output" = "[\"$P/busybox@$d\"]" ]
}

@test "build --pull takes the registry's newer base; without it the local one; an unreachable registry fails it" {
  ensure_src
  local ctx="$BERTH_TEST_ROOT/pullctx"
  mkdir -p "$ctx"
  # The registry gets V=2 under base:pull; the local tag is then moved to a V=1 image.
  printf 'FROM busybox\nENV V=2\n' > "$ctx/Dockerfile"
  berth build -q -t "$P/base:pull" "$ctx" >/dev/null
  berth push -q "$P/base:pull" >/dev/null
  printf 'FROM busybox\nENV V=1\n' > "$ctx/Dockerfile"
  berth build -q -t "$P/base:pull" "$ctx" >/dev/null
  printf 'FROM %s/base:pull\nRUN echo "v$V" > /v\n' "$P" > "$ctx/Dockerfile"
  run berth build -q --network none -t pulled:local "$ctx"
  expect_status 0
  run berth run --rm --network none pulled:local cat /v
  [ "$output" = v1 ]
  run berth build -q --pull --network none -t pulled:fresh "$ctx"
  expect_status 0
  run berth run --rm --network none pulled:fresh cat /v
  [ "$output" = v2 ]
  # docker.io is blocked in this file's registries.conf: --pull of busybox must fail, not fall
  # back to the local copy.
  printf 'FROM busybox\n' > "$ctx/Dockerfile"
  run berth build -q --pull "$ctx"
  expect_status 1
  [[ "$output" == *"failed to resolve source metadata for docker.io/library/busybox:latest"* ]]
}

@test "a missing tag fails with Docker's message and exit 1" {
  run berth pull "$P/busybox:nosuch"
  expect_status 1
  [ "$output" = "Error: manifest for $P/busybox:nosuch not found: manifest unknown: manifest unknown" ]
  run berth pull "127.0.0.1:1/x"
  expect_status 1
  [ "${lines[0]}" = "Using default tag: latest" ]
  [[ "${lines[1]}" == "Error: Get \"https://127.0.0.1:1/v2/\": "* ]]
}

@test "a blob whose bytes do not match its digest fails the pull and leaves nothing" {
  # A layer of its own, so no other image in the store shares it.
  mkdir -p "$BERTH_TEST_ROOT/unique"
  head -c 200000 /dev/urandom > "$BERTH_TEST_ROOT/unique/data"
  tar -C "$BERTH_TEST_ROOT/unique" -cf "$BERTH_TEST_ROOT/unique.tar" data
  berth import "$BERTH_TEST_ROOT/unique.tar" "$P/corrupt:v1" >/dev/null
  berth push "$P/corrupt:v1" >/dev/null
  berth rmi "$P/corrupt:v1" >/dev/null
  berth system prune -f >/dev/null
  layer=$(curl -s -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$P/v2/corrupt/manifests/v1" | jq -r .layers[0].digest)
  [ ! -e "$BERTH_TEST_ROOT/blobs/sha256/${layer:7}" ]
  data="$REG_DIR/plain/storage/docker/registry/v2/blobs/sha256/${layer:7:2}/${layer:7}/data"
  [ -f "$data" ]
  cp "$data" "$REG_DIR/saved-layer"
  printf 'X' | dd of="$data" bs=1 seek=100 conv=notrunc 2>/dev/null
  run berth pull "$P/corrupt:v1"
  cp "$REG_DIR/saved-layer" "$data"
  expect_status 1
  [[ "$output" == *"filesystem layer verification failed for digest $layer: digest mismatch"* ]]
  [ ! -e "$BERTH_TEST_ROOT/blobs/sha256/${layer:7}" ]
  [ -z "$(ls -A "$BERTH_TEST_ROOT/ingest")" ]
  run berth images -q "$P/corrupt"
  [ -z "$output" ]
  # The intact blob pulls.
  run berth pull -q "$P/corrupt:v1"
  expect_status 0
  [ -e "$BERTH_TEST_ROOT/blobs/sha256/${layer:7}" ]
}

# start_proxy MODE: tests/fixtures/fault-proxy.py in front of the plain registry; sets PX.
start_proxy() {
  local dir="$REG_DIR/proxy-$1"
  mkdir -p "$dir"
  python3 "$BERTH_SRC/tests/fixtures/fault-proxy.py" "$dir/port" "$P" "$1" "$dir/log" \
    >"$dir/out" 2>&1 3>&- &
  echo $! > "$dir/pid"
  for _ in $(seq 1 100); do [ -s "$dir/port" ] && break; sleep 0.1; done
  export PX="127.0.0.1:$(cat "$dir/port")" PX_LOG="$dir/log"
}

stop_proxy() {
  local pid; pid=$(cat "$REG_DIR/proxy-$1/pid")
  kill "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
}

# Empties the store, so $P/corrupt (pushed by the test above) must be downloaded again.
forget_corrupt() {
  local ids; ids=$(berth images -q)
  [ -z "$ids" ] || berth rmi -f $ids >/dev/null
  berth system prune -f >/dev/null
}

@test "a 500 on a blob download is retried and the pull succeeds" {
  forget_corrupt
  start_proxy 500-once
  run berth pull "$PX/corrupt:v1"
  stop_proxy 500-once
  expect_status 0
  grep -q -- "-> 500" "$PX_LOG"
  [[ "$output" == *"Pull complete"* ]]
}

@test "a download cut in the middle resumes with a Range request" {
  forget_corrupt
  start_proxy cut-once
  run berth pull "$PX/corrupt:v1"
  stop_proxy cut-once
  expect_status 0
  grep -q "^cut " "$PX_LOG"
  grep -q "bytes=[1-9][0-9]*- -> 206" "$PX_LOG"
  [[ "$output" == *"Pull complete"* ]]
}

@test "a registry that dies mid-transfer fails the pull with a clear error and keeps nothing" {
  forget_corrupt
  start_proxy cut-always
  run berth pull "$PX/corrupt:v1"
  stop_proxy cut-always
  expect_status 1
  [[ "$output" == *"Error: Get \"http://$PX/v2/corrupt/blobs/sha256:"* ]]
  [ -z "$(ls -A "$BERTH_TEST_ROOT/ingest")" ]
  [ -z "$(ls -A "$BERTH_TEST_ROOT/tmp")" ]
  run berth images -q "$PX/corrupt"
  [ -z "$output" ]
}

@test "an index: native platform by default, --platform picks, a missing one is refused" {
  m=$(curl -s -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$P/v2/busybox/manifests/latest")
  d=$(manifest_digest busybox latest)
  arch=$(uname -m); [ "$arch" = x86_64 ] && arch=amd64; [ "$arch" = aarch64 ] && arch=arm64
  other=s390x; [ "$arch" = s390x ] && other=ppc64le
  idx=$(jq -n --arg d "$d" --argjson s "${#m}" --arg a "$arch" '{schemaVersion:2,
    mediaType:"application/vnd.oci.image.index.v1+json", manifests:[
    {mediaType:"application/vnd.docker.distribution.manifest.v2+json",digest:$d,size:$s,
     platform:{os:"linux",architecture:"riscv64"}},
    {mediaType:"application/vnd.docker.distribution.manifest.v2+json",digest:$d,size:$s,
     platform:{os:"linux",architecture:$a}}]}')
  curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.index.v1+json' \
    --data-binary "$idx" "http://$P/v2/busybox/manifests/multi"
  run berth pull "$P/busybox:multi"
  expect_status 0
  idx_digest="sha256:$(printf '%s' "$idx" | sha256sum | cut -d' ' -f1)"
  [[ "$output" == *"Digest: $idx_digest"* ]]
  run berth inspect --format '{{json .RepoDigests}}' "$P/busybox:multi"
  [[ "$output" == *"$P/busybox@$idx_digest"* ]]
  run berth pull --platform linux/riscv64 "$P/busybox:multi"
  expect_status 0
  run berth pull --platform "linux/$other" "$P/busybox:multi"
  expect_status 1
  [ "$output" = "Error: no matching manifest for linux/$other in the manifest list entries" ]
  run berth manifest inspect "$P/busybox:multi"
  expect_status 0
  [ "$(echo "$output" | jq -r '.manifests[1].platform.architecture')" = "$arch" ]
}

@test "pull --all-tags pulls every tag of the repository" {
  run berth pull -a "$P/busybox"
  expect_status 0
  [[ "$output" == *"latest: Pulling from busybox"* ]]
  [[ "$output" == *"multi: Pulling from busybox"* ]]
  [ "${lines[${#lines[@]}-1]}" = "$P/busybox" ]
  berth inspect "$P/busybox:multi" >/dev/null
  run berth pull -a "$P/busybox:latest"
  expect_status 1
  [ "$output" = "Error: tag can't be used with --all-tags/-a" ]
}

@test "Basic auth: refused without login, wrong password, login, push, pull, logout" {
  A=127.0.0.1:$AUTH_PORT
  ensure_src
  berth tag busybox:latest "$A/private:v1"
  run berth push "$A/private:v1"
  expect_status 1
  [[ "$output" == *"unauthorized: authentication required"* ]]
  run berth login -u alice -p wrong "$A"
  expect_status 1
  [ "${lines[0]}" = "WARNING! Using --password via the CLI is insecure. Use --password-stdin." ]
  [ "${lines[1]}" = "Error: login attempt to http://$A/v2/ failed with status: 401 Unauthorized" ]
  [ ! -e "$DOCKER_CONFIG/config.json" ] || ! grep -q "$A" "$DOCKER_CONFIG/config.json"
  run bash -c "echo s3cret | '$BERTH' --root '$BERTH_TEST_ROOT' login -u alice --password-stdin $A"
  expect_status 0
  [[ "$output" == *"WARNING! Your password will be stored unencrypted in $DOCKER_CONFIG/config.json."* ]]
  [ "${lines[${#lines[@]}-1]}" = "Login Succeeded" ]
  [ "$(jq -r --arg a "$A" '.auths[$a].auth' "$DOCKER_CONFIG/config.json" | base64 -d)" = "alice:s3cret" ]
  [ "$(stat -c %a "$DOCKER_CONFIG/config.json")" = 600 ]
  run berth push "$A/private:v1"
  expect_status 0
  [[ "${lines[${#lines[@]}-1]}" == "v1: digest: sha256:"* ]]
  berth rmi "$A/private:v1"
  run berth pull "$A/private:v1"
  expect_status 0
  run berth logout "$A"
  expect_status 0
  [ "$output" = "Removing login credentials for $A" ]
  run berth logout "$A"
  [ "$output" = "Not logged in to $A" ]
  berth rmi "$A/private:v1"
  run berth pull "$A/private:v1"
  expect_status 1
  [[ "$output" == *"pull access denied for $A/private"* ]]
}

@test "TLS: an unknown CA is refused; the CA in certs.d or --tls-verify=false is accepted" {
  T=127.0.0.1:$TLS_PORT
  ensure_src
  berth tag busybox:latest "$T/secure:v1"
  run berth push "$T/secure:v1"
  expect_status 1
  [[ "$output" == *"https://$T/v2/"*"certificate"* ]]
  run berth push --tls-verify=false "$T/secure:v1"
  expect_status 0
  mkdir -p "$BERTH_CERTS_D/$T"
  cp "$REG_DIR/tls-certs/ca.crt" "$BERTH_CERTS_D/$T/ca.crt"
  berth rmi "$T/secure:v1" busybox:latest
  run berth pull "$T/secure:v1"
  expect_status 0
  [[ "$output" == *"Status: Downloaded newer image for $T/secure:v1"* ]]
  rm -rf "${BERTH_CERTS_D:?}/$T"
}

@test "skopeo copies what berth pushed, and berth pulls and runs what skopeo pushed" {
  run skopeo copy --src-tls-verify=false "docker://$P/busybox:latest" \
    "oci:$BERTH_TEST_ROOT/skopeo-oci:latest"
  expect_status 0
  [ -f "$BERTH_TEST_ROOT/skopeo-oci/index.json" ]
  run skopeo inspect --tls-verify=false --config "docker://$P/busybox:latest"
  expect_status 0
  [[ "$output" == *"APP=berth"* ]]
  run skopeo copy --dest-tls-verify=false "oci:$BERTH_TEST_ROOT/skopeo-oci:latest" \
    "docker://$P/fromskopeo:v2"
  expect_status 0
  # An empty store, so everything comes from what skopeo pushed.
  berth rmi -f $(berth images -q) >/dev/null
  berth system prune -f >/dev/null
  run berth pull "$P/fromskopeo:v2"
  expect_status 0
  [[ "$output" == *"Download complete"* ]]
  run berth run --rm "$P/fromskopeo:v2" sh -c 'echo skopeo $APP'
  expect_status 0
  [ "$output" = "skopeo berth" ]
}

@test "Bearer tokens: anonymous is refused, a wrong password too, login then push and pull" {
  K=127.0.0.1:$TOKEN_PORT
  ensure_src
  berth tag busybox:latest "$K/tok/app:v1"
  run berth push "$K/tok/app:v1"
  expect_status 1
  [[ "$output" == *"unauthorized"* ]]
  run berth login -u alice -p nope "$K"
  expect_status 1
  [ "${lines[1]}" = "Error: Get \"http://$K/v2/\": unauthorized: incorrect username or password" ]
  run berth login -u alice -p s3cret "$K"
  expect_status 0
  [ "${lines[${#lines[@]}-1]}" = "Login Succeeded" ]
  run berth push "$K/tok/app:v1"
  expect_status 0
  [[ "${lines[${#lines[@]}-1]}" == "v1: digest: sha256:"* ]]
  berth rmi "$K/tok/app:v1" busybox:latest
  run berth pull "$K/tok/app:v1"
  expect_status 0
  [[ "$output" == *"Status: Downloaded newer image for $K/tok/app:v1"* ]]
  berth logout "$K"
}

@test "docker.io pulls go to a mirror from registries.conf; a blocked docker.io is never contacted" {
  ensure_src
  berth tag busybox:latest "$P/library/mirrored:1"
  berth push "$P/library/mirrored:1" >/dev/null
  berth rmi "$P/library/mirrored:1" busybox:latest >/dev/null
  printf '[[registry]]\nlocation = "docker.io"\nblocked = true\n[[registry.mirror]]\nlocation = "%s"\n' \
    "$P" > "$BERTH_REGISTRIES_CONF"
  run berth pull mirrored:1
  expect_status 0
  [[ "$output" == *"1: Pulling from library/mirrored"* ]]
  [[ "$output" == *"Status: Downloaded newer image for mirrored:1"* ]]
  [ "${lines[${#lines[@]}-1]}" = "docker.io/library/mirrored:1" ]
  run berth pull nosuchimage:1
  expect_status 1
  [ "$output" = "Error: manifest for nosuchimage:1 not found: manifest unknown: manifest unknown" ]
  printf '[[registry]]\nlocation = "docker.io"\nblocked = true\n' > "$BERTH_REGISTRIES_CONF"
  run berth pull mirrored:1
  expect_status 1
  [ "$output" = "Error: registry docker.io is blocked in registries.conf" ]
  rm -f "$BERTH_REGISTRIES_CONF"
}

podman_() {
  CONTAINERS_CONF="$REG_DIR/podman/containers.conf" podman --root "$REG_DIR/podman/root" \
    --runroot "$REG_DIR/podman/runroot" --storage-driver vfs "$@"
}

@test "podman pulls what berth pushed, and berth pulls and runs what podman pushed" {
  mkdir -p "$REG_DIR/podman"
  printf '[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "none"\n' \
    > "$REG_DIR/podman/containers.conf"
  ensure_src
  berth tag busybox:latest "$P/topodman:1"
  berth push "$P/topodman:1" >/dev/null
  run podman_ pull -q --tls-verify=false "$P/topodman:1"
  expect_status 0
  run podman_ image inspect --format '{{.Config.Env}}' "$P/topodman:1"
  [[ "$output" == *"APP=berth"* ]]
  podman_ tag "$P/topodman:1" "$P/frompodman:2"
  run podman_ push --tls-verify=false "$P/frompodman:2"
  expect_status 0
  berth rmi "$P/topodman:1" busybox:latest >/dev/null
  run berth pull "$P/frompodman:2"
  expect_status 0
  [[ "$output" == *"Status: Downloaded newer image for $P/frompodman:2"* ]]
  run berth run --rm "$P/frompodman:2" sh -c 'echo podman $APP'
  expect_status 0
  [ "$output" = "podman berth" ]
}

@test "a full disk fails the pull with the system's error and leaves no partial data" {
  small="$BERTH_TEST_ROOT/small"
  mkdir -p "$small"
  mount -t tmpfs -o size=1m tmpfs "$small"
  run "$BERTH" --root "$small/root" --runroot "$small/run" pull "$P/busybox:latest"
  ingest=$(ls -A "$small/root/ingest" 2>&1) || true
  tmp=$(ls -A "$small/root/tmp" 2>&1) || true
  images=$("$BERTH" --root "$small/root" --runroot "$small/run" images -q 2>&1) || true
  umount "$small"
  expect_status 1
  [[ "$output" == *"No space left on device"* ]]
  [ -z "$ingest" ]
  [ -z "$tmp" ]
  [ -z "$images" ]
}
