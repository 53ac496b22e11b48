#!/usr/bin/env bash
# Seed 004's start_docker.sh with berth: pick a version of the service (the argument, a prompt
# when there are several and stdin is a terminal, else the newest), exit if it already runs,
# stop and remove the other versions' containers (they hold the same name and port), then run
# the image's recommended command, read from its org.label-schema.docker.cmd label.
# Environment: BERTH (the berth binary), REPOSITORY (example/service).
set -euo pipefail
berth() { "${BERTH:-berth}" "$@"; }
REPOSITORY=${REPOSITORY:-example/service}

# Newest first, as `berth images` lists them.
mapfile -t items < <(berth images --format '{{.Repository}}:{{.Tag}}' "$REPOSITORY" | grep -v ':<none>$' || true)
if [ ${#items[@]} -eq 0 ]; then
  echo "no $REPOSITORY images: run build_docker.sh first" >&2
  exit 1
fi
select=0
if [ $# -ge 1 ]; then
  want=$1; [[ $want == *:* ]] || want=$REPOSITORY:$want
  select=-1
  for i in "${!items[@]}"; do [ "${items[$i]}" = "$want" ] && select=$i; done
  if [ $select -lt 0 ]; then
    echo "no image $want; there are: ${items[*]}" >&2
    exit 1
  fi
elif [ ${#items[@]} -gt 1 ] && [ -t 0 ]; then
  for i in "${!items[@]}"; do echo "  $i) ${items[$i]}"; done
  read -r -p "which version [0]? " select
  select=${select:-0}
  [[ $select =~ ^[0-9]+$ ]] && [ "$select" -lt ${#items[@]} ] || { echo "no choice $select" >&2; exit 1; }
fi
image=${items[$select]}

# Already running: nothing to do. Other versions running: stop and remove them.
while read -r id ref state; do
  [ -n "$id" ] || continue
  if [ "$ref" = "$image" ] && [ "$state" = running ]; then
    echo "$image is already running ($id)"
    exit 0
  fi
  echo "stopping and removing $id ($ref, $state)"
  berth rm -f "$id" >/dev/null
done < <(berth ps -a --format '{{.ID}} {{.Image}} {{.State}}' | awk -v r="$REPOSITORY:" 'index($2, r) == 1')

cmd=$(berth inspect "$image" --format '{{index .ContainerConfig.Labels "org.label-schema.docker.cmd"}}')
if [[ x$cmd != x ]]; then
  echo "$cmd"
  # The label holds a plain command line (no quotes), split on spaces as the seed's `$cmd` does;
  # its leading `berth` is this script's berth.
  read -r -a argv <<<"$cmd"
  [ "${argv[0]}" != berth ] || argv=("${BERTH:-berth}" "${argv[@]:1}")
  "${argv[@]}"
else
  echo "not found command in org.label-schema.docker.cmd" >&2
  exit 1
fi
