#!/usr/bin/env bats
# berth build: the seeds' build commands verbatim, multi-stage, the cache, build args into labels,
# secrets that never reach the image, parse errors naming the line.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  berth_setup_file
  # The seeds' bases stand in as the busybox fixture (no registry is needed).
  berth import "$BUSYBOX_TAR" busybox:latest >/dev/null
  berth tag busybox:latest alpine:latest
  berth tag busybox:latest python:3.7-slim
  berth tag busybox:latest ubuntu:latest
}
teardown_file() {
  berth_teardown_file
}
# A test's local HTTP server (ADD <url>) is stopped even when the test fails.
teardown() {
  if [ -n "${HTTP_SERVER_PID:-}" ]; then kill "$HTTP_SERVER_PID" 2>/dev/null || true; fi
  if [ -n "${GIT_DAEMON_PID:-}" ]; then kill "$GIT_DAEMON_PID" 2>/dev/null || true; fi
}

# Whether a RUN printed $1 in this output (a `#5 0.123 <line>` progress line).
ran() { [[ "$output" =~ \#[0-9]+\ [0-9]+\.[0-9]{3}\ $1 ]]; }
not_ran() { ! ran "$1"; }

# A fresh context directory, made the current one.
ctx() {
  CTX="$BERTH_TEST_ROOT/ctx-$1"
  rm -rf "$CTX"
  mkdir -p "$CTX"
  cd "$CTX"
}

@test "seed: berth build -t tagifai:latest -f Dockerfile . (WORKDIR, COPY, RUN, EXPOSE, ENTRYPOINT)" {
  ctx tagifai
  echo 'from setuptools import setup' > setup.py
  printf 'fastapi\nuvicorn\n' > requirements.txt
  mkdir -p tagifai app config
  echo 'print("tagifai")' > tagifai/main.py
  echo 'api' > app/api.py
  echo 'cfg' > config/config.py
  cat > Dockerfile <<'DF'
# Base image
FROM python:3.7-slim

# Install dependencies
WORKDIR /mlops
COPY setup.py setup.py
COPY requirements.txt requirements.txt
RUN echo installing \
    && cat requirements.txt > /mlops/installed \
    && echo done >> /mlops/installed

# Copy
COPY tagifai tagifai
COPY app app
COPY config config

# Export ports
EXPOSE 8000

# Start app
ENTRYPOINT ["sh", "-c", "cat /mlops/installed /mlops/tagifai/main.py; ls /mlops"]
DF
  run berth build -t tagifai:latest -f Dockerfile .
  expect_status 0
  [[ "$output" == *"[1/8] FROM docker.io/library/python:3.7-slim"* ]]
  [[ "$output" == *"[5/8] RUN echo installing"* ]]
  [[ "$output" == *"installing"* ]]
  [[ "$output" == *"naming to docker.io/library/tagifai:latest done"* ]]
  run berth inspect --format '{{.Config.WorkingDir}} {{json .Config.ExposedPorts}} {{json .Config.Entrypoint}}' tagifai:latest
  expect_status 0
  [ "$output" = '/mlops {"8000/tcp":{}} ["sh","-c","cat /mlops/installed /mlops/tagifai/main.py; ls /mlops"]' ]
  run berth run --rm tagifai:latest
  expect_status 0
  [ "${lines[0]}" = "fastapi" ]
  [ "${lines[2]}" = "done" ]
  [ "${lines[3]}" = 'print("tagifai")' ]
  [[ "$output" == *"app"*"config"*"installed"*"requirements.txt"*"setup.py"*"tagifai"* ]]
  # Each RUN/COPY made a layer; WORKDIR created /mlops (one more); metadata made none.
  run berth inspect --format '{{len .RootFS.Layers}}' tagifai:latest
  [ "$output" = "8" ]
  run berth history tagifai:latest
  expect_status 0
  [[ "$output" == *"RUN /bin/sh -c echo installing"* ]]
  [[ "$output" == *"EXPOSE map[8000/tcp:{}]"* ]]
}

@test "seed: berth image build -t \"echo_service\" . (MAINTAINER, COPY, ENTRYPOINT exec form)" {
  ctx echo
  echo 'print("echo")' > echo.py
  cat > Dockerfile <<'DF'
FROM ubuntu:latest
MAINTAINER Jane Doe "jane@example.com"
COPY echo.py echo.py
ENTRYPOINT ["cat","echo.py"]
DF
  run berth image build -t "echo_service" .
  expect_status 0
  run berth images echo_service --format '{{.Repository}}:{{.Tag}}'
  [ "$output" = "echo_service:latest" ]
  run berth inspect --format '{{.Author}}' echo_service
  [ "$output" = 'Jane Doe "jane@example.com"' ]
  run berth run --rm echo_service
  expect_status 0
  [ "$output" = 'print("echo")' ]
  # Seed 001's spelling: the context first, the tag after it.
  printf 'FROM busybox\nENV PATH=/opt/bin:$PATH\nRUN echo "$PATH" > /path.txt\n' > Dockerfile
  run berth build . -t myimage:1.0
  expect_status 0
  run berth run --rm myimage:1.0 echo "Hello world"
  [ "$output" = "Hello world" ]
  # A base without PATH gets the default one, as BuildKit gives it.
  run berth run --rm myimage:1.0 cat /path.txt
  [ "$output" = "/opt/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" ]
}

@test "seed: BuildKit secret: printed by the RUN, absent from the image, its history and save" {
  ctx secret
  echo "TOP SECRET ASTRONAUT PASSWORD" > secret.txt
  printf 'FROM alpine\nRUN --mount=type=secret,id=mypass cat /run/secrets/mypass\n' > Dockerfile
  DOCKER_BUILDKIT=1 run berth build . -t myimage \
    --secret id=mypass,src=secret.txt
  expect_status 0
  DOCKER_BUILDKIT=1 BUILDKIT_PROGRESS=plain run berth build . \
    --no-cache --secret id=mypass,src=secret.txt
  expect_status 0
  [[ "$output" =~ \#[0-9]+\ \[2/2\]\ RUN\ --mount=type=secret,id=mypass\ cat\ /run/secrets/mypass ]]
  [[ "$output" =~ \#[0-9]+\ [0-9]+\.[0-9]{3}\ TOP\ SECRET\ ASTRONAUT\ PASSWORD ]]
  # Not in the image: no file, no mount point, nothing in the history or the saved tar.
  run berth run --rm myimage sh -c 'ls -a /run/secrets 2>&1; cat /run/secrets/mypass 2>&1'
  [[ "$output" != *"TOP SECRET"* ]]
  run berth history --no-trunc myimage
  expect_status 0
  [[ "$output" != *"TOP SECRET"* ]]
  berth save myimage -o "$BERTH_TEST_ROOT/myimage.tar"
  mkdir -p "$BERTH_TEST_ROOT/saved" && tar -xf "$BERTH_TEST_ROOT/myimage.tar" -C "$BERTH_TEST_ROOT/saved"
  run grep -r -a -l "TOP SECRET" "$BERTH_TEST_ROOT/saved"
  expect_status 1
  for l in $(find "$BERTH_TEST_ROOT/saved" -type f); do
    run bash -c "tar -tf '$l' 2>/dev/null | grep 'run/secrets'"
    expect_status 1
  done
  # A required secret that was not given fails the step, naming it.
  printf 'FROM alpine\nRUN --mount=type=secret,id=other,required=true cat /run/secrets/other\n' > Dockerfile
  run berth build .
  expect_status 1
  [[ "$output" == *"secret other: not found"* ]]
}

@test "multi-stage: COPY --from a named stage, --target stops early, unused stages are skipped" {
  ctx multi
  cat > Dockerfile <<'DF'
FROM busybox AS build
RUN mkdir -p /out && echo artifact > /out/bin.txt
FROM busybox AS unused
RUN echo should-not-run
FROM busybox
COPY --from=build /out/bin.txt /app/
COPY --from=0 /out /copied
CMD ["cat", "/app/bin.txt", "/copied/bin.txt"]
DF
  run berth build -t multi .
  expect_status 0
  [[ "$output" != *"should-not-run"* ]]
  run berth run --rm multi
  expect_status 0
  [ "$output" = "$(printf 'artifact\nartifact')" ]
  run berth build --target build -t multi-build .
  expect_status 0
  run berth run --rm multi-build cat /out/bin.txt
  [ "$output" = "artifact" ]
  run berth run --rm multi-build ls /app
  [ "$status" -ne 0 ]
  run berth build --target nope .
  expect_status 1
  [[ "$output" == *"target stage"* || "$output" == *"build target nope"* ]]
}

@test "parallel stages: independent stages build at once, give the sequential build's image; a failure stops the others and names its stage" {
  ctx parallel
  cat > Dockerfile <<'DF'
FROM busybox AS left
RUN sleep 2 && echo left > /left.txt
FROM busybox AS right
RUN sleep 2 && echo right > /right.txt
FROM busybox
COPY --from=left /left.txt /out/
COPY --from=right /right.txt /out/
CMD ["cat", "/out/left.txt", "/out/right.txt"]
DF
  export SOURCE_DATE_EPOCH=1700000000
  # One stage at a time (as buildkitd's max-parallelism = 1): at least the two sleeps.
  start=$(date +%s%N)
  BERTH_BUILD_MAX_PARALLELISM=1 run berth build -q --no-cache --network none -t par-seq .
  expect_status 0
  seq_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  seq_id="$output"
  [ "$seq_ms" -ge 4000 ]
  start=$(date +%s%N)
  run berth build --progress=plain --no-cache --network none -t par .
  expect_status 0
  par_ms=$(( ($(date +%s%N) - start) / 1000000 ))
  echo "sequential ${seq_ms} ms, parallel ${par_ms} ms"
  [ "$par_ms" -lt 3500 ]
  # Each line keeps its step's #N: both RUNs began before either was done.
  l=$(grep -E '^#[0-9]+ \[left 2/2\] RUN' <<<"$output" | cut -d' ' -f1)
  r=$(grep -E '^#[0-9]+ \[right 2/2\] RUN' <<<"$output" | cut -d' ' -f1)
  [ -n "$l" ] && [ -n "$r" ]
  order=$(grep -E "^($l|$r) " <<<"$output" | grep -E ' (\[|DONE)' | awk '{print ($2 == "DONE") ? "done" : "begin"}' | tr '\n' ' ')
  [ "$order" = "begin begin done done " ]
  [ "$(berth images -q --no-trunc par)" = "$seq_id" ]
  run berth run --rm par
  [ "$output" = "$(printf 'left\nright')" ]
  unset SOURCE_DATE_EPOCH

  # The first failure stops the build: the other stage's RUN is killed, the stage is named.
  cat > Dockerfile <<'DF'
FROM busybox AS slow
RUN sleep 30
FROM busybox AS broken
RUN sleep 1 && exit 7
FROM busybox
COPY --from=slow /etc/passwd /a
COPY --from=broken /etc/passwd /b
DF
  before=$(berth images -a -q | sort | tr '\n' ' ')
  start=$(date +%s%N)
  run berth build --progress=plain --network none -t par-fail .
  expect_status 1
  [ $(( ($(date +%s%N) - start) / 1000000 )) -lt 20000 ]
  [[ "$output" == *" > [broken 2/2] RUN sleep 1 && exit 7:"* ]]
  [[ "$output" == *"exit code: 7"* ]]
  [[ "$output" =~ \#[0-9]+\ CANCELED ]]
  [ "$(berth images -a -q | sort | tr '\n' ' ')" = "$before" ]
}

@test "cache: a rebuild runs nothing; one changed byte reruns the steps after it; mtimes alone do not" {
  ctx cache
  echo one > a.txt
  echo keep > b.txt
  cat > Dockerfile <<'DF'
FROM busybox
COPY b.txt /b.txt
RUN echo ran-first-run
COPY a.txt /a.txt
RUN echo ran-second-run && cat /a.txt > /copy.txt
DF
  run berth build -q -t cached .
  expect_status 0
  first="$output"
  run berth build --progress=plain -t cached .
  expect_status 0
  not_ran ran-first-run
  not_ran ran-second-run
  [ "$(grep -c CACHED <<<"$output")" -eq 4 ]
  run berth build -q -t cached .
  [ "$output" = "$first" ]
  touch -d '2001-01-01' a.txt b.txt
  run berth build --progress=plain -t cached .
  not_ran ran-
  echo two > a.txt
  run berth build --progress=plain -t cached .
  expect_status 0
  not_ran ran-first-run
  ran ran-second-run
  run berth run --rm cached cat /copy.txt
  [ "$output" = "two" ]
  # --no-cache runs everything again.
  run berth build --no-cache -t cached .
  ran ran-first-run
  # The cache shows in system df and builder prune empties it.
  run berth system df --format '{{.Type}} {{.TotalCount}}'
  [[ "$output" =~ Build\ Cache\ [1-9] ]]
  run berth builder prune -f
  expect_status 0
  [[ "$output" == Total:* ]]
  run berth system df --format '{{.Type}} {{.TotalCount}}'
  [[ "$output" == *"Build Cache 0"* ]]
  run berth build --progress=plain -t cached .
  ran ran-first-run
  run berth run --rm cached cat /copy.txt
  [ "$output" = "two" ]
}

@test "seed 004: --build-arg values reach LABELs, read back with inspect --format" {
  ctx labels
  cat > Dockerfile <<'DF'
FROM busybox
LABEL maintainer="colorai@colorai.com"

ARG VENDOR="ColorAI"
ARG REPOSITORY
ARG TAG
ARG COMMIT
ARG BRANCH

LABEL org.label-schema.schema-version="1.0" \
      org.label-schema.name=$REPOSITORY \
      org.label-schema.description="Computer Vision Backend for Cauchy" \
      org.label-schema.vcs-ref=$COMMIT \
      org.label-schema.vcs-branch=${BRANCH:-none} \
      org.label-schema.vendor=$VENDOR \
      org.label-schema.docker.cmd="docker run -d --name framework \
--restart unless-stopped $REPOSITORY:$TAG python cauchy_services.py --port 8339"
DF
  REPOSITORY=colorai/cauchycv TAG=0.2.7 COMMIT=bbe9a6a
  run berth build --tag $REPOSITORY:$TAG \
             --build-arg REPOSITORY=$REPOSITORY \
             --build-arg TAG=$TAG \
             --build-arg COMMIT=$COMMIT \
             --label extra=yes \
             .
  expect_status 0
  run berth inspect colorai/cauchycv:0.2.7 --format '{{index .ContainerConfig.Labels "org.label-schema.docker.cmd"}}'
  [ "$output" = "docker run -d --name framework --restart unless-stopped colorai/cauchycv:0.2.7 python cauchy_services.py --port 8339" ]
  run berth inspect colorai/cauchycv:0.2.7 --format '{{index .Config.Labels "org.label-schema.vcs-ref"}} {{index .Config.Labels "org.label-schema.vendor"}} {{index .Config.Labels "org.label-schema.vcs-branch"}} {{index .Config.Labels "extra"}}'
  [ "$output" = "bbe9a6a ColorAI none yes" ]
}

@test "errors: a parse error names the line; a failing RUN names the step and its exit code; a missing secret, an unterminated heredoc, a --from loop; none leaves anything in the store" {
  ctx errors
  printf 'FROM busybox\nRUN true\nFOO bar\n' > Dockerfile
  run berth build .
  expect_status 1
  [[ "$output" == *"dockerfile parse error on line 3: unknown instruction: FOO"* ]]
  printf 'FROM busybox\nCOPY --frm=x a b\n' > Dockerfile
  run berth build .
  expect_status 1
  [[ "$output" == *"dockerfile parse error on line 2: unknown flag: frm"* ]]
  printf 'FROM busybox\nENV A=1\nRUN echo failing && exit 3\n' > Dockerfile
  before=$(berth images -a -q | sort | tr '\n' ' ')
  cache_before=$(berth system df --format '{{.Type}} {{.TotalCount}}' | grep 'Build Cache')
  run berth build -t failing .
  expect_status 1
  [[ "$output" == *"Dockerfile:3"* ]]
  [[ "$output" == *'process "/bin/sh -c echo failing && exit 3" did not complete successfully: exit code: 3'* ]]
  [ "$(berth images -a -q | sort | tr '\n' ' ')" = "$before" ]
  printf 'FROM busybox\nCOPY missing.txt /x\n' > Dockerfile
  run berth build .
  expect_status 1
  [[ "$output" == *'"/missing.txt": not found'* ]]
  printf 'FROM no/such:image\n' > Dockerfile
  run berth build .
  expect_status 1
  [[ "$output" == *"pull access denied"* ]]
  run berth build --platform linux/s390x-nope .
  expect_status 1
  printf 'FROM busybox\nRUN <<EOF\necho never ends\n' > Dockerfile
  run berth build .
  expect_status 1
  [[ "$output" == *"dockerfile parse error on line 2: unterminated heredoc EOF"* ]]
  printf 'FROM busybox\nRUN --mount=type=secret,id=token,required=true cat /run/secrets/token\n' > Dockerfile
  run berth build .
  expect_status 1
  [[ "$output" == *"secret token: not found"* ]]
  # --from may name a later stage (as in BuildKit); a loop of them is refused before anything runs.
  printf 'FROM busybox AS a\nRUN echo ran-a\nCOPY --from=b /x /x\nFROM busybox AS b\nCOPY --from=a /y /y\n' > Dockerfile
  run berth build --progress=plain .
  expect_status 1
  [[ "$output" == *"circular dependency detected on stage: a"* ]]
  not_ran ran-a
  # None of these failures left an image, a layer or a cache row behind.
  [ "$(berth images -a -q | sort | tr '\n' ' ')" = "$before" ]
  [ "$(berth system df --format '{{.Type}} {{.TotalCount}}' | grep 'Build Cache')" = "$cache_before" ]
  printf 'FROM busybox AS final\nCOPY --from=later /made /made\nFROM busybox AS later\nRUN echo forward > /made\n' > Dockerfile
  run berth build -q -t forward .
  expect_status 0
  run berth run --rm forward cat /made
  [ "$output" = forward ]
}

@test "Dockerfile features: heredocs, ENV expansion, .dockerignore, ADD of a tar, USER, -f - and a context on stdin" {
  ctx features
  mkdir -p sub/deep && echo secret > sub/deep/key.pem && echo ok > sub/keep.txt && echo log > x.log
  printf '**/*.pem\n*.log\n' > .dockerignore
  mkdir -p tarsrc && echo fromtar > tarsrc/t.txt && tar -C tarsrc -czf files.tgz t.txt
  cat > Dockerfile <<'DF'
# syntax=docker/dockerfile:1
FROM busybox
ENV DIR=/srv NAME="a b"
ENV OLD legacy form
WORKDIR ${DIR}/app
COPY sub ./sub/
ADD files.tgz /unpacked/
COPY <<EOF /srv/note.txt
name=${NAME} dir=$DIR
EOF
RUN <<EOT
set -e
echo "heredoc ran" > /srv/ran.txt
EOT
USER nobody
CMD ["sh", "-c", "id -u; pwd; cat /srv/note.txt /srv/ran.txt /unpacked/t.txt; echo $OLD; ls -R /srv/app/sub"]
DF
  run berth build -t features .
  expect_status 0
  run berth run --rm features
  expect_status 0
  [ "${lines[0]}" = "65534" ]
  [ "${lines[1]}" = "/srv/app" ]
  [ "${lines[2]}" = "name=a b dir=/srv" ]
  [ "${lines[3]}" = "heredoc ran" ]
  [ "${lines[4]}" = "fromtar" ]
  [ "${lines[5]}" = "legacy form" ]
  [[ "$output" == *"keep.txt"* ]]
  [[ "$output" != *"key.pem"* ]]
  # -f - reads the Dockerfile from stdin; `-` as the context reads a tar.
  run berth build -q -t fromstdin -f - . <<<$'FROM busybox\nCOPY sub/keep.txt /k\n'
  expect_status 0
  run berth run --rm fromstdin cat /k
  [ "$output" = "ok" ]
  printf 'FROM busybox\nCOPY keep.txt /k2\n' > sub/Dockerfile
  run bash -c "tar -C sub -cf - . | '$BERTH' --root '$BERTH_TEST_ROOT' --runroot '$BERTH_TEST_ROOT/run' build -q -t tarctx -"
  expect_status 0
  run berth run --rm tarctx cat /k2
  [ "$output" = "ok" ]
}

@test "RUN mounts: a cache mount persists between builds, bind and tmpfs mounts leave no trace" {
  ctx mounts
  echo from-context > input.txt
  cat > Dockerfile <<'DF'
FROM busybox
RUN --mount=type=cache,target=/var/cache/app sh -c 'echo x >> /var/cache/app/count; echo "count=$(wc -l < /var/cache/app/count)"'
RUN --mount=type=bind,source=input.txt,target=/mnt/in.txt cp /mnt/in.txt /copied.txt
RUN --mount=type=tmpfs,target=/scratch sh -c 'echo tmp > /scratch/t; test "$(ls /scratch)" = t'
DF
  run berth build --progress=plain -t mounts .
  expect_status 0
  ran count=1
  run berth build --no-cache --progress=plain -t mounts .
  expect_status 0
  ran count=2
  # The mount points were stubs: none of them is in the image.
  run berth run --rm mounts sh -c 'cat /copied.txt; for p in /var/cache/app /scratch /mnt; do [ -e $p ] && echo $p; done; echo end'
  [ "$output" = "$(printf 'from-context\nend')" ]
}

@test "metadata instructions: ONBUILD, HEALTHCHECK, STOPSIGNAL, VOLUME, SHELL, platform ARGs, --iidfile" {
  ctx meta
  cat > Dockerfile.base <<'DF'
FROM busybox
ONBUILD RUN echo triggered > /onbuild.txt
DF
  run berth build -q -t onbase -f Dockerfile.base .
  expect_status 0
  run berth inspect --format '{{json .Config.OnBuild}}' onbase
  [ "$output" = '["RUN echo triggered > /onbuild.txt"]' ]
  cat > Dockerfile <<'DF'
FROM onbase
ARG TARGETARCH
ARG TARGETPLATFORM
SHELL ["/bin/sh", "-ec"]
RUN echo "$TARGETPLATFORM" > /platform && test "$TARGETARCH" != ""
HEALTHCHECK --interval=5s --retries=2 CMD ["true"]
STOPSIGNAL SIGUSR1
VOLUME /data /logs
CMD cat /onbuild.txt /platform
DF
  run berth build --iidfile "$CTX/iid" -t meta .
  expect_status 0
  [ "$(cat "$CTX/iid")" = "$(berth inspect --format '{{.Id}}' meta)" ]
  run berth inspect --format '{{json .Config.OnBuild}} {{.Config.StopSignal}} {{json .Config.Shell}} {{json .Config.Cmd}} {{json .Config.Healthcheck.Test}} {{.Config.Healthcheck.Retries}}' meta
  [ "$output" = 'null SIGUSR1 ["/bin/sh","-ec"] ["/bin/sh","-ec","cat /onbuild.txt /platform"] ["CMD","true"] 2' ]
  run berth run --rm meta
  expect_status 0
  [ "${lines[0]}" = "triggered" ]
  [[ "${lines[1]}" == linux/* ]]
}

@test "SOURCE_DATE_EPOCH: two --no-cache builds give the same image id" {
  ctx sde
  echo data > f.txt
  printf 'FROM busybox\nCOPY f.txt /f.txt\nRUN echo made > /made.txt\nENV X=1\n' > Dockerfile
  run env SOURCE_DATE_EPOCH=1700000000 "$BERTH" --root "$BERTH_TEST_ROOT" --runroot "$BERTH_TEST_ROOT/run" build -q --no-cache .
  expect_status 0
  first="$output"
  sleep 1
  touch f.txt
  run env SOURCE_DATE_EPOCH=1700000000 "$BERTH" --root "$BERTH_TEST_ROOT" --runroot "$BERTH_TEST_ROOT/run" build -q --no-cache .
  expect_status 0
  [ "$output" = "$first" ]
  run berth inspect --format '{{.Created}}' "$first"
  [[ "$output" == 2023-11-14T22:13:20* ]]
}

@test "--output: an image archive berth load reads back, an OCI archive skopeo reads, a root file system tar, a local tree" {
  ctx output
  printf 'FROM busybox\nRUN echo out > /out.txt\n' > Dockerfile
  run berth build -o type=docker,dest="$CTX/img.tar" -o type=tar,dest="$CTX/fs.tar" -o "$CTX/tree" \
    -o type=oci,dest="$CTX/oci.tar" -q .
  expect_status 0
  id="$output"
  # The OCI archive is one skopeo reads (its config is the image's).
  tar -tf "$CTX/oci.tar" | grep -q '^oci-layout$'
  run skopeo inspect --config "oci-archive:$CTX/oci.tar"
  expect_status 0
  [[ "$output" == *'"architecture"'* ]]
  tar -tf "$CTX/img.tar" | grep -q '^manifest.json$'
  tar -tf "$CTX/img.tar" | grep -q '^index.json$'
  tar -xOf "$CTX/fs.tar" out.txt | grep -qx out
  tar -tf "$CTX/fs.tar" | grep -q '^bin/busybox$'
  [ "$(cat "$CTX/tree/out.txt")" = "out" ]
  [ -x "$CTX/tree/bin/busybox" ]
  berth rmi -f "$id" >/dev/null
  run berth load -i "$CTX/img.tar"
  expect_status 0
  [[ "$output" == *"${id#sha256:}"* ]]
  run berth build -o type=registry .
  expect_status 125
}

@test "--progress=tty: one line per step, cached steps marked, RUN output shown while it runs" {
  ctx tty
  printf 'FROM busybox\nRUN echo tty-line\nCOPY Dockerfile /D\n' > Dockerfile
  run berth build --progress=tty -t ttyimg .
  expect_status 0
  [[ "$output" == *" => [2/3] RUN echo tty-line"* ]]
  [[ "$output" == *"=> => # tty-line"* ]]
  [[ "$output" == *$'\e['*A$'\e[J'* ]]
  run berth build --progress=tty -t ttyimg .
  expect_status 0
  [[ "$output" == *" => CACHED [2/3] RUN echo tty-line"* ]]
  [[ "$output" != *"#4 "* ]]
}

@test "ADD <url>: fetched from a local server, 0600 and not unpacked, --checksum, cache by content, 404 named" {
  ctx addurl
  local www="$BERTH_TEST_ROOT/www" port
  mkdir -p "$www"
  echo "weights v1" > "$www/model.bin"
  tar -C "$BERTH_TEST_ROOT" -czf "$www/data.tar.gz" www/model.bin
  touch -d '2024-01-02 03:04:05 UTC' "$www/model.bin"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  python3 -m http.server --bind 127.0.0.1 --directory "$www" "$port" >/dev/null 2>&1 &
  HTTP_SERVER_PID=$!
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/model.bin" >/dev/null && break; sleep 0.1; done
  local sum
  sum=sha256:$(sha256sum "$www/model.bin" | cut -d' ' -f1)
  cat > Dockerfile <<DF
FROM busybox:latest
ADD http://127.0.0.1:$port/model.bin /models/
ADD --chmod=644 http://127.0.0.1:$port/data.tar.gz /data/data.tar.gz
ADD --checksum=$sum http://127.0.0.1:$port/model.bin /verified.bin
RUN stat -c '%a %Y' /models/model.bin /data/data.tar.gz && cat /verified.bin
DF
  run berth build --progress=plain -t addurl:1 .
  expect_status 0
  [[ "$output" == *"600 1704164645"* ]]   # Last-Modified became the mtime
  [[ "$output" =~ "644 " ]]
  [[ "$output" == *"weights v1"* ]]
  run berth run --rm addurl:1 sh -c 'ls /data; cat /models/model.bin'
  [ "$output" = "$(printf 'data.tar.gz\nweights v1')" ]   # an archive from a URL stays one
  # Unchanged content: every step cached. Changed content: the ADD and what follows run again.
  run berth build --progress=plain -t addurl:1 .
  expect_status 0
  not_ran "600"
  echo "weights v2" > "$www/model.bin"
  run berth build --progress=plain -t addurl:2 .
  expect_status 1
  [[ "$output" == *"digest mismatch"* ]]   # --checksum still names v1
  sed -i '/checksum/d; s/ && cat .verified.bin//' Dockerfile
  run berth build --progress=plain -t addurl:2 .
  expect_status 0
  run berth run --rm addurl:2 cat /models/model.bin
  [ "$output" = "weights v2" ]
  printf 'FROM busybox:latest\nADD http://127.0.0.1:%s/missing.bin /x\n' "$port" > Dockerfile
  run berth build -t addurl:3 .
  expect_status 1
  [[ "$output" == *"invalid response status 404"* ]]
}

@test "RUN's network: the default bridge cannot reach the host's loopback; --network=host and none as asked" {
  ctx runnet
  local www="$BERTH_TEST_ROOT/www-runnet" port
  mkdir -p "$www" && echo "host-only service" > "$www/index.html"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  python3 -m http.server --bind 127.0.0.1 --directory "$www" "$port" >/dev/null 2>&1 &
  HTTP_SERVER_PID=$!
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
  cat > Dockerfile <<DF
FROM busybox:latest
RUN ip -4 -o addr show eth0 | grep -q inet && echo "has eth0"; printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 127.0.0.1 $port | grep . || echo "loopback isolated"
RUN --network=host printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 127.0.0.1 $port | tail -1
RUN --network=none ls /sys/class/net
DF
  run berth build --progress=plain --no-cache -t runnet:1 .
  expect_status 0
  ran "has eth0"
  ran "loopback isolated"
  ran "host-only service"
  ran "lo"
  # Nothing of the steps' endpoints is left: no veth of this root's bridge, no endpoint record.
  [ -z "$(ls "$BERTH_TEST_ROOT/networks/endpoints" 2>/dev/null)" ]
  run berth network inspect bridge --format '{{len .Containers}}'
  [ "$output" = 0 ]
}

@test "COPY layers keep no tar until save needs one: save makes it from the layer and load gives the same image; an unchanged rebuild writes nothing" {
  ctx lazytar
  mkdir -p src/sub
  for i in 1 2 3; do echo "file $i" > "src/sub/f$i"; done
  ln -s sub/f1 src/link
  # WORKDIR of a dir the base has, then of a new one (a layer): neither may write on a rebuild.
  printf 'FROM busybox\nWORKDIR /etc\nWORKDIR /work\nCOPY src/ /app/\nCOPY --from=busybox /bin/busybox /tools/bb\n' > Dockerfile
  run berth build -q -t lazytar .
  expect_status 0
  id="$output"
  diffs=$(berth inspect --format '{{range .RootFS.Layers}}{{println .}}{{end}}' "$id" | grep sha256 | tail -2)
  [ "$(wc -l <<<"$diffs")" -eq 2 ]
  for d in $diffs; do [ ! -e "$BERTH_TEST_ROOT/blobs/sha256/${d#sha256:}" ]; done
  # An unchanged rebuild: every step cached, the database file untouched (no write, no checkpoint).
  before=$(stat -c '%Y.%s' "$BERTH_TEST_ROOT/berth.db")
  sleep 1.1
  run berth build -q -t lazytar .
  expect_status 0
  [ "$output" = "$id" ]
  [ "$(stat -c '%Y.%s' "$BERTH_TEST_ROOT/berth.db")" = "$before" ]
  # save makes each tar from its layer dir, checked against the diff id, and keeps it.
  run berth save -o "$CTX/img.tar" lazytar
  expect_status 0
  for d in $diffs; do [ -e "$BERTH_TEST_ROOT/blobs/sha256/${d#sha256:}" ]; done
  berth system prune -f >/dev/null
  for d in $diffs; do [ -e "$BERTH_TEST_ROOT/blobs/sha256/${d#sha256:}" ]; done
  berth rmi lazytar >/dev/null
  berth builder prune -f >/dev/null
  run berth load -i "$CTX/img.tar"
  expect_status 0
  run berth inspect --format '{{.Id}}' lazytar
  [ "$output" = "$id" ]
  run berth run --rm lazytar cat /app/link
  [ "$output" = "file 1" ]
}

@test "COPY links the unchanged files an earlier build of it holds: exact matches only, the same layer a full copy makes, and containers cannot write through" {
  ctx links
  mkdir -p src/d
  for i in 1 2 3; do echo "content $i" > "src/d/f$i"; done
  echo same > src/touched
  chmod 0750 src/d/f3
  printf 'FROM busybox\nCOPY src/ /app/\n' > Dockerfile
  run berth build -q -t links .
  expect_status 0
  l1=$(berth image inspect --format '{{.GraphDriver.Data.UpperDir}}' links)
  [ -f "$l1/app/d/f2" ]
  echo changed > src/d/f1
  touch -d '2002-02-02' src/touched  # mtime only: a copy, never a link to the old mtime
  run berth build -q -t links .
  expect_status 0
  l2=$(berth image inspect --format '{{.GraphDriver.Data.UpperDir}}' links)
  [ "$l1" != "$l2" ]
  ino() { stat -c %i "$1"; }
  [ "$(ino "$l1/app/d/f2")" = "$(ino "$l2/app/d/f2")" ]
  [ "$(ino "$l1/app/d/f3")" = "$(ino "$l2/app/d/f3")" ]
  [ "$(stat -c %a "$l2/app/d/f3")" = 750 ]
  [ "$(ino "$l1/app/d/f1")" != "$(ino "$l2/app/d/f1")" ]
  [ "$(ino "$l1/app/touched")" != "$(ino "$l2/app/touched")" ]
  [ "$(date -r "$l2/app/touched" +%F)" = 2002-02-02 ]
  # A container writing to a linked file changes its own copy, never the layers'.
  run berth run --rm links sh -c 'echo more >> /app/d/f2; cat /app/d/f2'
  [ "$output" = "$(printf 'content 2\nmore')" ]
  [ "$(cat "$l1/app/d/f2")" = "content 2" ]
  # The layer is the one a full copy makes: the same diff id once the cache and its manifests
  # are gone
  linked=$(berth image inspect --format '{{json .RootFS.Layers}}' links)
  berth builder prune -f >/dev/null
  [ ! -e "$BERTH_TEST_ROOT/build-copy-manifests" ]
  BERTH_BUILD_COPY_LINKS=0 run berth build -q --no-cache -t links-full .
  expect_status 0
  [ "$(berth image inspect --format '{{json .RootFS.Layers}}' links-full)" = "$linked" ]
  # (the same diff on the same base is the same layer: the full copy found the linked one)
  [ "$(berth image inspect --format '{{.GraphDriver.Data.UpperDir}}' links-full)" = "$l2" ]
}

@test "COPY --from links the source layer's files when the copy would not change them, and copies the rest" {
  ctx fromlinks
  # The build stage's files come from a tar (fixed times, two names on one inode), so that a
  # second build of it gives the same layer.
  mkdir -p t/out
  echo model > t/out/model.bin
  echo cfg > t/out/cfg
  ln t/out/cfg t/out/cfg-again
  tar --mtime=@1700000000 --owner=0 --group=0 --numeric-owner -C t -cf files.tar out
  printf 'FROM busybox AS build\nADD files.tar /\nFROM busybox\nCOPY --from=build /out/ /app/\nCOPY --from=build --chmod=0600 /out/model.bin /secret/model.bin\nCOPY --from=build /out/model.bin /again/model.bin\n' > Dockerfile
  # SOURCE_DATE_EPOCH: the directories a COPY makes (/secret, /again) are dated by the build.
  export SOURCE_DATE_EPOCH=1700000000
  run berth build -q -t fromlinks .
  expect_status 0
  run berth build -q --target build -t fromlinks-build .
  expect_status 0
  src=$(berth image inspect --format '{{.GraphDriver.Data.UpperDir}}' fromlinks-build)
  lower=$(berth image inspect --format '{{.GraphDriver.Data.LowerDir}}' fromlinks | cut -d: -f2)
  top=$(berth image inspect --format '{{.GraphDriver.Data.UpperDir}}' fromlinks)
  ino() { stat -c %i "$1"; }
  # The first COPY's layer shares the model's inode with the build stage's layer...
  [ "$(ino "$lower/app/model.bin")" = "$(ino "$src/out/model.bin")" ]
  # ...and of two paths on one source inode, links one and copies the other, as a copy gives two
  # files; the --chmod copy is a file of its own.
  [ "$(ino "$lower/app/cfg")" != "$(ino "$lower/app/cfg-again")" ]
  secret=$(berth image inspect --format '{{.GraphDriver.Data.LowerDir}}' fromlinks | cut -d: -f1)
  [ "$(ino "$secret/secret/model.bin")" != "$(ino "$src/out/model.bin")" ]
  [ "$(stat -c %a "$secret/secret/model.bin")" = 600 ]
  # A second COPY of a file already linked copies it: one image never holds two paths on one
  # inode, which Docker would show as two files.
  [ "$(ino "$top/again/model.bin")" != "$(ino "$src/out/model.bin")" ]
  [ "$(stat -c %a "$src/out/model.bin")" = 644 ]
  run berth run --rm fromlinks sh -c 'cat /app/model.bin /app/cfg-again; echo x >> /app/model.bin'
  [ "$output" = "$(printf 'model\ncfg')" ]
  [ "$(cat "$src/out/model.bin")" = model ]
  # The layers are the ones a plain copy makes: the same diff ids when every file is copied.
  layers=$(berth image inspect --format '{{json .RootFS.Layers}}' fromlinks)
  berth builder prune -f >/dev/null
  BERTH_BUILD_COPY_LINKS=0 run berth build -q --no-cache -t fromlinks-copied .
  expect_status 0
  [ "$(berth image inspect --format '{{json .RootFS.Layers}}' fromlinks-copied)" = "$layers" ]
}

@test "ADD <git ref>: a branch, a tag and a subdirectory from a local server, cached by commit, .git left out unless asked, a missing ref named" {
  ctx addgit
  local www="$BERTH_TEST_ROOT/gitwww" port repo="$BERTH_TEST_ROOT/gitwork"
  mkdir -p "$www" "$repo/sub"
  git -C "$repo" init -q -b main
  echo "v1" > "$repo/VERSION"
  printf '#!/bin/sh\necho hi\n' > "$repo/sub/run.sh"
  chmod 755 "$repo/sub/run.sh"
  git -C "$repo" add -A
  GIT_COMMITTER_DATE='2024-01-02T03:04:05Z' git -C "$repo" -c user.name=t -c user.email=t@x commit -q -m one
  git -C "$repo" tag v1
  # Served as files over http ("dumb" http), which git reads after update-server-info.
  git clone -q --bare "$repo" "$www/repo.git"
  git -C "$www/repo.git" update-server-info
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  python3 -m http.server --bind 127.0.0.1 --directory "$www" "$port" >/dev/null 2>&1 &
  HTTP_SERVER_PID=$!
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/repo.git/info/refs" >/dev/null && break; sleep 0.1; done
  local url="http://127.0.0.1:$port/repo.git"
  cat > Dockerfile <<DF
FROM busybox:latest
ADD $url /src/
ADD $url#v1:sub /tools/
ADD --keep-git-dir=true $url#main /withgit/
RUN ls -a /src /tools && stat -c '%a %Y' /tools/run.sh && test -d /withgit/.git && echo has-git
DF
  run berth build --progress=plain -t addgit:1 .
  expect_status 0
  [[ "$output" == *"755 1704164645"* ]]   # the commit's time on every file
  [[ "$output" == *"has-git"* ]]
  run berth run --rm addgit:1 sh -c 'cat /src/VERSION; ls -a /src; /tools/run.sh'
  [ "$output" = "$(printf 'v1\n.\n..\nVERSION\nsub\nhi')" ]
  # The same commits: all cached. A new commit on main: the steps that read main run again.
  run berth build --progress=plain -t addgit:1 .
  not_ran has-git
  echo "v2" > "$repo/VERSION"
  git -C "$repo" -c user.name=t -c user.email=t@x commit -q -am two
  git -C "$repo" push -q "$www/repo.git" main
  git -C "$www/repo.git" update-server-info
  run berth build --progress=plain -t addgit:2 .
  expect_status 0
  ran has-git
  run berth run --rm addgit:2 cat /src/VERSION
  [ "$output" = v2 ]
  printf 'FROM busybox:latest\nADD %s#no-such-branch /x/\n' "$url" > Dockerfile
  run berth build -t addgit:3 .
  expect_status 1
  [[ "$output" == *"failed to resolve git ref no-such-branch"* ]]
  # A smart server (git daemon, git://) serves one commit: the kept .git is shallow. Over dumb
  # http above the whole history came (two commits).
  run berth run --rm addgit:2 sh -c 'ls /withgit/.git/shallow 2>&1'
  [[ "$output" == *"No such file"* ]]
  local gport
  gport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  git daemon --listen=127.0.0.1 --port="$gport" --base-path="$www" --export-all --reuseaddr "$www" \
    >/dev/null 2>&1 &
  GIT_DAEMON_PID=$!
  for _ in $(seq 50); do git ls-remote "git://127.0.0.1:$gport/repo.git" >/dev/null 2>&1 && break; sleep 0.1; done
  printf 'FROM busybox:latest\nADD --keep-git-dir=true git://127.0.0.1:%s/repo.git#main /g/\n' "$gport" > Dockerfile
  run berth build -q -t addgit:4 .
  expect_status 0
  run berth run --rm addgit:4 sh -c 'cat /g/VERSION; test -f /g/.git/shallow && echo shallow'
  [ "$output" = "$(printf 'v2\nshallow')" ]
}
