#!/usr/bin/env bats
# Published ports on IPv6 (through the userland proxy), hairpin NAT through the host's address,
# and how container starts touch the nft table: not at all without ports, only their own map
# elements with ports, and a lost table is rebuilt. Traffic goes only to 127.0.0.1, ::1, this
# host's own addresses and the containers these tests start.

load helpers

setup_file() {
  berth_setup_file
  berth import -c 'CMD ["sh"]' "$BUSYBOX_TAR" busybox:latest >/dev/null
  export NET_BRIDGE NET_TABLE
  NET_BRIDGE=$(berth network inspect bridge --format '{{index .Options "com.docker.network.bridge.name"}}')
  NET_TABLE=$(berth network inspect bridge --format '{{index .Options "berth.nftables.table"}}')
}

teardown() {
  local ids
  ids=$(berth ps -aq 2>/dev/null || true)
  [ -z "$ids" ] || berth rm -f $ids >/dev/null 2>&1 || true
  berth network prune -f >/dev/null 2>&1 || true
  [ -z "${HOLDER:-}" ] || { kill "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null || true; }
}

teardown_file() {
  teardown
  [ -z "${NET_BRIDGE:-}" ] || ip link del "$NET_BRIDGE" 2>/dev/null || true
  [ -z "${NET_TABLE:-}" ] || nft delete table ip "$NET_TABLE" 2>/dev/null || true
  berth_teardown_file
}

web() {
  local name=$1; shift
  berth run -d --name "$name" "$@" busybox sh -c \
    "mkdir -p /www && echo hello from $name > /www/index.html && exec httpd -f -p 80 -h /www"
}

fetch() {
  local i
  for i in $(seq 1 30); do
    if out=$(curl -gs --max-time 2 "$@"); then echo "$out"; return 0; fi
    sleep 0.1
  done
  return 1
}

# GET ADDR PORT from inside a container (busybox nc speaks the request).
HTTP_GET='get() { printf "GET / HTTP/1.0\r\n\r\n" | nc -w 2 "$1" "$2" | tail -n 1; }; get'

# This host's own addresses: the IPv4 one of the interface with the default route, and a global
# IPv6 one (empty when the host has none).
host_ipv4() {
  local dev
  dev=$(ip -4 route show default | awk '{print $5; exit}')
  ip -4 -o addr show dev "${dev:-eth0}" scope global | awk '{print $4; exit}' | cut -d/ -f1
}
host_ipv6() { ip -6 -o addr show scope global | awk '{print $4; exit}' | cut -d/ -f1; }

need_ipv6() {
  # The host these tests were written for has IPv6 (::1 and a global address); a host without it
  # runs the "no IPv6" test below instead, and these fail loudly rather than pass unchecked.
  grep -q . /proc/net/if_inet6 || { echo "this host has no IPv6" >&2; false; }
}

@test "-p 8080:80 answers on 127.0.0.1, [::1] and the host's IPv6 address; ps, port and inspect show both families" {
  need_ipv6
  web v1 -p 18180:80
  run fetch http://127.0.0.1:18180/
  [ "$output" = "hello from v1" ]
  run fetch 'http://[::1]:18180/'
  expect_status 0
  [ "$output" = "hello from v1" ]
  v6=$(host_ipv6)
  [ -n "$v6" ]
  run fetch "http://[$v6]:18180/"
  [ "$output" = "hello from v1" ]
  run berth ps --format '{{.Ports}}' --filter name=v1
  [ "$output" = "0.0.0.0:18180->80/tcp, [::]:18180->80/tcp" ]
  run berth port v1
  [ "${lines[0]}" = "80/tcp -> 0.0.0.0:18180" ]
  [ "${lines[1]}" = "80/tcp -> [::]:18180" ]
  run berth inspect --format '{{range (index .NetworkSettings.Ports "80/tcp")}}{{.HostIp}}:{{.HostPort}} {{end}}' v1
  [ "$output" = "0.0.0.0:18180 :::18180 " ]
  # IPv6 goes through the proxy, not the nft table (an IPv4 table): one element, IPv4.
  [ "$(nft list table ip "$NET_TABLE" | grep -c ' 18180 : ')" -eq 1 ]
  # The proxy goes away with the container, and the port is free on both families again.
  berth rm -f v1 >/dev/null
  run curl -gs --max-time 1 'http://[::1]:18180/'
  [ "$status" -ne 0 ]
  web v1b -p 18180:80
  run fetch 'http://[::1]:18180/'
  [ "$output" = "hello from v1b" ]
}

@test "-p [::1]:PORT:80 publishes only there; -p 127.0.0.1:PORT:80 stays IPv4-only" {
  need_ipv6
  web v2 -p '[::1]:18181:80' -p 127.0.0.1:18182:80
  run fetch 'http://[::1]:18181/'
  expect_status 0
  [ "$output" = "hello from v2" ]
  run curl -s --max-time 1 http://127.0.0.1:18181/
  [ "$status" -ne 0 ]
  run fetch http://127.0.0.1:18182/
  [ "$output" = "hello from v2" ]
  run curl -gs --max-time 1 'http://[::1]:18182/'
  [ "$status" -ne 0 ]
  v6=$(host_ipv6)
  run curl -gs --max-time 1 "http://[$v6]:18181/"
  [ "$status" -ne 0 ]
  run berth port v2
  [[ "$output" == *"80/tcp -> [::1]:18181"* ]]
  [[ "$output" == *"80/tcp -> 127.0.0.1:18182"* ]]
  [[ "$output" != *"[::]"* ]]
  [[ "$output" != *"0.0.0.0"* ]]
  run berth ps --format '{{.Ports}}' --filter name=v2
  [[ "$output" == *"[::1]:18181->80/tcp"* ]]
  ! nft list table ip "$NET_TABLE" | grep -q ' 18181 : '
}

@test "a port taken on either family is refused with Docker's errors" {
  need_ipv6
  web c1 -p 18183:80
  run berth run -d --name c2 -p '[::1]:18183:80' busybox sleep 30
  expect_status 125
  [[ "$output" == *"Bind for [::1]:18183 failed: port is already allocated"* ]]
  # A host process holding only [::]:18184 (IPv6 only): -p 18184:80 is refused on its IPv6 half.
  python3 -c 'import socket,time
s=socket.socket(socket.AF_INET6); s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s.bind(("::",18184)); s.listen(); time.sleep(30)' &
  HOLDER=$!
  for i in $(seq 1 50); do ss -ltn | grep -q '\[::\]:18184 ' && break; sleep 0.1; done
  run berth run -d --name c3 -p 18184:80 busybox sleep 30
  expect_status 125
  [[ "$output" == *"listen tcp6 [::]:18184: bind: address already in use"* ]]
  [ "$(berth inspect --format '{{.State.Status}}' c3)" = created ]
  # ... and nothing of it was kept: its IPv4 half is free.
  ! nft list table ip "$NET_TABLE" | grep -q ' 18184 : '
  web c4 -p 127.0.0.1:18184:80
  run fetch http://127.0.0.1:18184/
  [ "$output" = "hello from c4" ]
}

@test "after SIGKILL of the monitor, the IPv6 proxy is gone and its port is free" {
  need_ipv6
  web k1 -p 18192:80
  fetch 'http://[::1]:18192/' >/dev/null
  pid=$(berth inspect --format '{{.State.Pid}}' k1)
  monitor=$(ps -o ppid= -p "$pid" | tr -d ' ')
  proxy=$(ps -o pid= --ppid "$monitor" -o comm= | awk '$2 == "berth-proxy" {print $1}')
  [ -n "$proxy" ]
  kill -9 "$monitor" "$pid"
  # Gone, or a zombie waiting for whoever adopted it (this host's pid 1 may not reap).
  gone() { [ ! -e "/proc/$proxy" ] || grep -q '^State:.*Z' "/proc/$proxy/status" 2>/dev/null; }
  for i in $(seq 1 50); do gone && break; sleep 0.1; done
  gone
  # The orphans are reaped by whoever adopts them: wait until they are gone.
  for i in $(seq 1 50); do [ -e "/proc/$pid" ] || [ -e "/proc/$monitor" ] || break; sleep 0.1; done
  run berth system check
  expect_status 0
  web k2 -p 18192:80
  run fetch 'http://[::1]:18192/'
  [ "$output" = "hello from k2" ]
}

@test "a host without IPv6 publishes on IPv4 only, without an error" {
  # A private network namespace whose IPv6 is disabled (the host's own is untouched), and a
  # private berth root: its bridge and table live and die with the namespace.
  root=$(mktemp -d /tmp/berth-e2e-nov6.XXXXXX)
  run unshare -n bash -c '
    set -e
    ip link set lo up
    sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ! grep -q . /proc/net/if_inet6
    b() { "$BERTH" --root "$1" --runroot "$1/run" "${@:2}"; }
    trap "b $0 rm -f nov6 >/dev/null 2>&1 || true" EXIT
    b $0 import "$BUSYBOX_TAR" busybox:latest >/dev/null
    b $0 run -d --name nov6 -p 18185:80 busybox sh -c \
      "mkdir -p /www && echo hello v4 > /www/index.html && exec httpd -f -p 80 -h /www" >/dev/null
    for i in $(seq 1 30); do curl -s --max-time 2 http://127.0.0.1:18185/ && break; sleep 0.1; done
    b $0 port nov6
  ' "$root"
  rm -rf "$root"
  expect_status 0
  [ "${lines[0]}" = "hello v4" ]
  [ "${lines[1]}" = "80/tcp -> 0.0.0.0:18185" ]
  [ "${#lines[@]}" -eq 2 ]
}

@test "hairpin: containers reach their own and each other's published ports through the host's address" {
  hostip=$(host_ipv4)
  [ -n "$hostip" ]
  berth network create hp >/dev/null
  web h1 -p 18186:80
  web h2 --network hp -p 18187:80
  fetch http://127.0.0.1:18186/ >/dev/null
  fetch http://127.0.0.1:18187/ >/dev/null
  # From the default bridge and from a user network, to both.
  run berth run --rm busybox sh -c "$HTTP_GET $hostip 18186; $HTTP_GET $hostip 18187"
  expect_status 0
  [ "${lines[0]}" = "hello from h1" ]
  [ "${lines[1]}" = "hello from h2" ]
  run berth run --rm --network hp busybox sh -c "$HTTP_GET $hostip 18186; $HTTP_GET $hostip 18187"
  [ "${lines[0]}" = "hello from h1" ]
  [ "${lines[1]}" = "hello from h2" ]
  # A container through its own published port.
  run berth exec h1 sh -c "$HTTP_GET $hostip 18186"
  [ "$output" = "hello from h1" ]
  run berth exec h2 sh -c "$HTTP_GET $hostip 18187"
  [ "$output" = "hello from h2" ]
  # Isolation still holds for direct addressing between the networks.
  h2ip=$(berth inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' h2)
  run berth run --rm busybox sh -c "$HTTP_GET $h2ip 80"
  [[ "$output" != *"hello"* ]]
}

@test "a container without published ports leaves the nft table byte-identical; one with ports only adds and removes its own elements" {
  berth run --rm busybox true   # the table exists from the first start on
  before=$(nft -a list table ip "$NET_TABLE")
  berth run --rm busybox true
  berth run -d --name quiet busybox sleep 30 >/dev/null
  berth rm -f quiet >/dev/null
  [ "$(nft -a list table ip "$NET_TABLE")" = "$before" ]
  web loud -p 127.0.0.1:18188:80
  during=$(nft -a list table ip "$NET_TABLE")
  [ "$during" != "$before" ]
  # Only the element changed: the rules (and their handles) are the same.
  diff <(echo "$before" | grep -v elements) <(echo "$during" | grep -v elements)
  [[ "$during" == *"127.0.0.1 . tcp . 18188 : "* ]]
  berth rm -f loud >/dev/null
  [ "$(nft -a list table ip "$NET_TABLE")" = "$before" ]
}

@test "a lost nft table is rebuilt, with the ports of running containers, at the next start and by system check" {
  web keep -p 127.0.0.1:18189:80
  fetch http://127.0.0.1:18189/ >/dev/null
  nft delete table ip "$NET_TABLE"
  run curl -s --max-time 1 http://127.0.0.1:18189/
  [ "$status" -ne 0 ]
  # A start without ports writes nothing, but finds the table gone and rebuilds it.
  run berth run --rm busybox true
  expect_status 0
  nft list table ip "$NET_TABLE" | grep -q ' 18189 : '
  run fetch http://127.0.0.1:18189/
  [ "$output" = "hello from keep" ]
  nft delete table ip "$NET_TABLE"
  run berth system check
  expect_status 0
  nft list table ip "$NET_TABLE" | grep -q ' 18189 : '
  run fetch http://127.0.0.1:18189/
  [ "$output" = "hello from keep" ]
}
