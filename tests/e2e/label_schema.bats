#!/usr/bin/env bats
# examples/label-schema: seed 004's build_docker.sh + start_docker.sh flow with berth. Three
# layered images (busybox, example/service_base, example/service:TAG) with git metadata in
# org.label-schema.* labels, and a start script that runs the image's org.label-schema.docker.cmd.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  berth_setup_file
  export BERTH_ROOT=$BERTH_TEST_ROOT BERTH_RUNROOT=$BERTH_TEST_ROOT/run
  export SERVICE_PORT
  SERVICE_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  export EX=$BERTH_SRC/examples/label-schema
}
teardown_file() {
  berth_teardown_file
}

layers() { berth inspect --format '{{range .RootFS.Layers}}{{.}} {{end}}' "$1"; }

@test "build_docker.sh builds three layered images; the deps layer only when missing" {
  run env TAG=0.2.1 "$EX/build_docker.sh"
  expect_status 0
  [[ "$output" == *"making busybox:latest from Debian's busybox-static"* ]]
  [[ "$output" == *"build example/service_base"* ]]
  [[ "$output" == *"built example/service:0.2.1"* ]]
  run berth images --format '{{.Repository}}:{{.Tag}}'
  [ "$(sort <<<"$output" | tr '\n' ' ')" = "busybox:latest example/service:0.2.1 example/service_base:latest " ]
  # Each layer's image starts with the layers of the one below, and adds its own.
  l1=$(layers busybox:latest) l2=$(layers example/service_base:latest) l3=$(layers example/service:0.2.1)
  [[ "$l2" == "$l1"?* ]]
  [[ "$l3" == "$l2"?* ]]
  base_id=$(berth images -q example/service_base:latest)
  run env TAG=0.2.2 "$EX/build_docker.sh"
  expect_status 0
  [[ "$output" == *"using example/service_base:latest ($base_id)"* ]]
  [[ "$output" != *"build example/service_base"* ]]
  [ "$(berth images -q example/service_base:latest)" = "$base_id" ]
}

@test "the app image carries the git metadata and the run command as labels" {
  commit=$(git -C "$BERTH_SRC" rev-parse HEAD 2>/dev/null | cut -c 1-7 || true)
  run bash -c "'$BERTH' inspect example/service:0.2.1 --format '{{json .ContainerConfig.Labels}}' | python3 -m json.tool"
  expect_status 0
  [[ "$output" == *"\"org.label-schema.vcs-ref\": \"${commit:-unknown}\""* ]]
  [[ "$output" == *'"org.label-schema.name": "example/service"'* ]]
  [[ "$output" == *'"org.label-schema.schema-version": "1.0"'* ]]
  [[ "$output" =~ \"org.label-schema.build-date\":\ \"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\" ]]
  run berth inspect example/service:0.2.1 --format '{{index .ContainerConfig.Labels "org.label-schema.docker.cmd"}}'
  [ "$output" = "berth run -d --name service --restart unless-stopped --volume service-data:/data --hostname example --shm-size=64m --ulimit nofile=1024:1024 -p $SERVICE_PORT:8339 example/service:0.2.1 httpd -f -p 8339 -h /srv/www" ]
}

@test "start_docker.sh runs the label's command: name, restart policy, volume, hostname, limits, port" {
  run "$EX/start_docker.sh" 0.2.1
  expect_status 0
  [[ "$output" == "berth run -d --name service "* ]]
  run berth inspect --format '{{.Config.Image}} {{.HostConfig.RestartPolicy.Name}} {{.Config.Hostname}} {{.HostConfig.ShmSize}} {{json .HostConfig.Ulimits}} {{range .Mounts}}{{.Type}}:{{.Name}}:{{.Destination}}{{end}}' service
  [ "$output" = 'example/service:0.2.1 unless-stopped example 67108864 [{"Hard":1024,"Name":"nofile","Soft":1024}] volume:service-data:/data' ]
  for i in $(seq 1 50); do
    curl -fsS -o /dev/null "http://127.0.0.1:$SERVICE_PORT/" && break
    sleep 0.1
  done
  run curl -fsS "http://127.0.0.1:$SERVICE_PORT/cgi-bin/version"
  expect_status 0
  commit=$(git -C "$BERTH_SRC" rev-parse HEAD 2>/dev/null | cut -c 1-7 || true)
  [ "$output" = "{\"tag\": \"0.2.1\", \"commit\": \"${commit:-unknown}\", \"hostname\": \"example\", \"data_writable\": true}" ]
  # The deps layer's vendored tool wrote to the named volume.
  run berth exec service cat /data/requests.log
  [[ "$output" =~ ^time=.*\ served\ version\ 0\.2\.1$ ]]
}

@test "start_docker.sh: the running version is left alone, another version replaces it" {
  old=$(berth inspect --format '{{.Id}}' service)
  run "$EX/start_docker.sh" 0.2.1
  expect_status 0
  [ "$output" = "example/service:0.2.1 is already running (${old:0:12})" ]
  run "$EX/start_docker.sh" 0.2.2
  expect_status 0
  [[ "$output" == "stopping and removing ${old:0:12} (example/service:0.2.1, running)"* ]]
  run berth ps -a --format '{{.Image}} {{.State}}'
  [ "$output" = "example/service:0.2.2 running" ]
  for i in $(seq 1 50); do
    curl -fsS -o /dev/null "http://127.0.0.1:$SERVICE_PORT/" && break
    sleep 0.1
  done
  run curl -fsS "http://127.0.0.1:$SERVICE_PORT/cgi-bin/version"
  [[ "$output" == '{"tag": "0.2.2", '* ]]
  # The named volume outlived the old container.
  run berth exec service cat /data/requests.log
  [[ "$output" == *"served version 0.2.1"*"served version 0.2.2" ]]
}

@test "start_docker.sh names the choices when the version does not exist" {
  run "$EX/start_docker.sh" 9.9.9
  [ "$status" -eq 1 ]
  [[ "$output" == "no image example/service:9.9.9; there are: "*"example/service:0.2.1"* ]]
  run berth ps --format '{{.Image}}'
  [ "$output" = "example/service:0.2.2" ]
}
