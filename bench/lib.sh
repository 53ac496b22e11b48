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
