#!/usr/bin/env bats
# --userns=auto: the container's root is an unprivileged host uid of a range of its own; the
# image's layers and the upper dir are idmapped, so files read as root's inside and are stored
# as 0 on disk; the container holds no capability over the namespaces berth made.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  berth_setup_file
  berth import -c 'CMD ["sh"]' "$BUSYBOX_TAR" busybox >/dev/null
}
teardown_file() {
  berth_teardown_file
}

host_uid() { awk '/^Uid:/ {print $2}' "/proc/$1/status"; }

@test "--userns=auto: root inside, an unprivileged uid outside, image files owned by root" {
  run berth run --rm --network none --userns=auto busybox sh -c \
    'id -u; cat /proc/self/uid_map; stat -c "%u:%g" /bin/busybox; touch /new && stat -c "%u:%g" /new'
  expect_status 0
  [ "${lines[0]}" = 0 ]
  read -r inside outside count <<<"${lines[1]}"
  [ "$inside" = 0 ] && [ "$count" = 65536 ] && [ "$outside" -ge 65536 ]
  [ "${lines[2]}" = 0:0 ]
  [ "${lines[3]}" = 0:0 ]
  # Without it: the host's ids, as Docker without userns-remap.
  run berth run --rm --network none busybox cat /proc/self/uid_map
  [[ "$output" == *"0          0 4294967295"* ]]
}

@test "--userns=auto: each container its own host range; exec joins it; the upper dir stores 0" {
  berth run -d --name ua --network none --userns=auto busybox sleep 1000 >/dev/null
  berth run -d --name ub --network none --userns=auto busybox sleep 1000 >/dev/null
  pa=$(berth inspect --format '{{.State.Pid}}' ua)
  pb=$(berth inspect --format '{{.State.Pid}}' ub)
  ua_uid=$(host_uid "$pa")
  ub_uid=$(host_uid "$pb")
  [ "$ua_uid" -ge 65536 ] && [ "$ub_uid" -ge 65536 ]
  [ $(( ua_uid > ub_uid ? ua_uid - ub_uid : ub_uid - ua_uid )) -ge 65536 ]
  run berth inspect --format '{{.HostConfig.UsernsMode}}' ua
  [ "$output" = auto ]
  run berth exec ua sh -c 'id -u; echo hi > /tmp/x; stat -c %u /tmp/x'
  expect_status 0
  [ "${lines[0]}" = 0 ] && [ "${lines[1]}" = 0 ]
  id=$(berth inspect --format '{{.Id}}' ua)
  [ "$(stat -c %u "$BERTH_TEST_ROOT/containers/$id/upper/tmp/x")" = 0 ]
  # The exec'd process is in the container's user namespace, with its host uid.
  [ "$(berth exec ua readlink /proc/self/ns/user)" = "$(readlink /proc/$pa/ns/user)" ]
  berth rm -f ua ub >/dev/null
}

@test "--userns=auto: no capability over berth's namespaces, even with --cap-add SYS_ADMIN" {
  run berth run --rm --network none --userns=auto --cap-add SYS_ADMIN --security-opt seccomp=unconfined \
    busybox sh -c 'mount -t tmpfs none /mnt && echo mounted; hostname other && echo renamed'
  [[ "$output" != *mounted* ]]
  [[ "$output" != *renamed* ]]
}

@test "--userns: bad modes are refused with exit 125" {
  run berth run --rm --userns=private busybox true
  expect_status 125
  [[ "$output" == *'invalid USER mode "private"'* ]]
  run berth run --rm --userns=auto:size=0 busybox true
  expect_status 125
  [[ "$output" == *"invalid --userns size"* ]]
  run berth run --rm --network none --userns=auto:size=1024 busybox cat /proc/self/uid_map
  expect_status 0
  [[ "$output" == *" 1024"* ]]
}

@test "Docker's network sysctls: any user binds ports below 1024 (userns root too); --sysctl applies" {
  run berth run --rm --network none busybox cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/net/ipv4/ping_group_range
  expect_status 0
  [ "${lines[0]}" = 0 ]
  [[ "${lines[1]}" == "0"*"2147483647" ]]
  # The host's own value is left alone with --network host.
  run berth run --rm --network host busybox cat /proc/sys/net/ipv4/ip_unprivileged_port_start
  [ "$output" = "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" ]
  # nobody, and root in a user namespace, listen on port 80.
  run berth run --rm --network none -u nobody busybox sh -c 'nc -l -p 80 & sleep 0.5; netstat -ltn | grep -c ":80 "'
  [ "$output" = 1 ]
  run berth run --rm --network none --userns=auto busybox sh -c 'nc -l -p 80 & sleep 0.5; netstat -ltn | grep -c ":80 "'
  [ "$output" = 1 ]
  run berth run --rm --network none --sysctl net.ipv4.ip_unprivileged_port_start=2000 busybox \
    cat /proc/sys/net/ipv4/ip_unprivileged_port_start
  expect_status 0
  [ "$output" = 2000 ]
}

@test "--userns=auto: /etc files and volumes read as root's; a bind only with its idmap option" {
  host="$BERTH_TEST_ROOT/ubind"
  mkdir -p "$host" && echo data > "$host/f"
  run berth run --rm --network none --userns=auto -v uvol:/data -v "$host:/plain" \
    -v "$host:/mapped:idmap" busybox sh -c \
    'stat -c "%n %u:%g" /etc/hosts /etc/hostname /etc/resolv.conf /data /plain/f /mapped/f
     echo x >> /etc/hosts && echo hosts-writable
     echo v > /data/v && echo volume-writable
     echo m > /mapped/m && echo bind-writable'
  expect_status 0
  [ "${lines[0]}" = "/etc/hosts 0:0" ]
  [ "${lines[1]}" = "/etc/hostname 0:0" ]
  [ "${lines[2]}" = "/etc/resolv.conf 0:0" ]
  [ "${lines[3]}" = "/data 0:0" ]
  # A host bind without idmap: host root's files read as nobody's, as Docker's userns-remap.
  [ "${lines[4]}" = "/plain/f 65534:65534" ]
  [ "${lines[5]}" = "/mapped/f 0:0" ]
  [ "${lines[6]}" = hosts-writable ] && [ "${lines[7]}" = volume-writable ] && [ "${lines[8]}" = bind-writable ]
  # Stored as 0 on the host, so a container without --userns reads them the same.
  [ "$(stat -c %u "$host/m")" = 0 ]
  run berth run --rm --network none -v uvol:/data busybox stat -c %u /data/v
  [ "$output" = 0 ]
  # Without --userns the option changes nothing.
  run berth run --rm --network none -v "$host:/mapped:idmap" busybox stat -c %u /mapped/f
  [ "$output" = 0 ]
  berth volume rm uvol >/dev/null
}
