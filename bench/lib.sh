# Shared by the bench scripts (source it). Peers' settings that work on this host and on a clean
# Debian 12 (see ../shared/PEERS.md): podman and buildah with runc, cgroupfs, no event logger.

# podman_conf FILE [TMPDIR]: writes a containers.conf there and exports CONTAINERS_CONF.
podman_conf() {
  {
    printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n'
    printf '[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "none"\n'
    if [ -n "${2:-}" ]; then printf 'tmp_dir = "%s"\n' "$2"; fi
  } > "$1"
  export CONTAINERS_CONF=$1
}

# start_dockerd DIR [DOCKERD FLAGS...]: a private dockerd (Debian's docker.io) with its root,
# exec root and socket under DIR; sets dockerd_pid, returns 1 (with its log) if it did not come
# up in 30 s. Talk to it with `/usr/bin/docker -H unix://DIR/docker.sock`.
start_dockerd() {
  local dir=$1
  shift
  mkdir -p "$dir"
  dockerd --data-root "$dir/root" --exec-root "$dir/exec" -H "unix://$dir/docker.sock" \
    --pidfile "$dir/dockerd.pid" --default-ulimit nofile=20000:20000 --storage-driver overlay2 \
    "$@" >"$dir/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 150); do
    /usr/bin/docker -H "unix://$dir/docker.sock" version >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "dockerd did not start:" >&2
  tail -20 "$dir/dockerd.log" >&2
  return 1
}

# stop_dockerd: ends the dockerd start_dockerd started (by its pid), waiting up to 10 s.
stop_dockerd() {
  [ -n "${dockerd_pid:-}" ] || return 0
  kill "$dockerd_pid" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.1; done
}

# ab_line NAME URL: HTTP requests/s and mean latency, the median of 3 `ab -c 8` runs of
# $requests requests each.
ab_line() {
  local out rps=() lat=()
  for _ in 1 2 3; do
    out=$(ab -q -n "$requests" -c 8 "$2" 2>&1) || { echo "$1: ab failed: $out" >&2; return 0; }
    rps+=("$(echo "$out" | awk '/Requests per second/ {print $4}')")
    lat+=("$(echo "$out" | awk '/Time per request/ && /mean\)$/ {print $4}')")
  done
  printf '%-40s %10s req/s  %8s ms/request (c=8)\n' "$1" \
    "$(printf '%s\n' "${rps[@]}" | sort -n | sed -n 2p)" "$(printf '%s\n' "${lat[@]}" | sort -n | sed -n 2p)"
}
