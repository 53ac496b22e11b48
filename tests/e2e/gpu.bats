#!/usr/bin/env bats
# --gpus and CDI devices. This machine has no GPU, so the tests give berth a fake NVIDIA driver
# tree (BERTH_NVIDIA_DRIVER_ROOT: device nodes made with mknod, a real ELF library with a
# soname, an nvidia-smi script, /proc/driver/nvidia files) and CDI specs of their own
# (BERTH_CDI_SPEC_DIRS). The same code ran on a real H200 (see docs/architecture.md, GPUs).

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
  berth_setup_file
  berth import -c 'CMD ["sh"]' "$BUSYBOX_TAR" gbox:1 >/dev/null
  export DRV="$BERTH_TEST_ROOT/driver"
  mkdir -p "$DRV/dev" "$DRV/usr/bin" "$DRV/usr/lib/x86_64-linux-gnu" \
    "$DRV/proc/driver/nvidia/gpus/0000:01:00.0" "$DRV/proc/driver/nvidia/gpus/0000:02:00.0"
  # Real character devices: nvidiactl is /dev/null's 1:3, the GPUs 1:5 (zero) and 1:7 (full).
  mknod -m 666 "$DRV/dev/nvidiactl" c 1 3
  mknod -m 666 "$DRV/dev/nvidia0" c 1 5
  mknod -m 666 "$DRV/dev/nvidia1" c 1 7
  printf 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.1.2  Tue Jan 1 2026\n' \
    > "$DRV/proc/driver/nvidia/version"
  printf 'Model: \t\t Fake GPU\nGPU UUID: \t GPU-aaaa-1111\nDevice Minor: \t 0\n' \
    > "$DRV/proc/driver/nvidia/gpus/0000:01:00.0/information"
  printf 'Model: \t\t Fake GPU\nGPU UUID: \t GPU-bbbb-2222\nDevice Minor: \t 1\n' \
    > "$DRV/proc/driver/nvidia/gpus/0000:02:00.0/information"
  echo 'int cuInit(unsigned flags) { return (int)flags; }' > "$BERTH_TEST_ROOT/cuda.c"
  gcc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$DRV/usr/lib/x86_64-linux-gnu/libcuda.so.580.1.2" \
    "$BERTH_TEST_ROOT/cuda.c"
  # On the host berth asks it for MIG devices (-L, then its table); in a container it lists the
  # GPU nodes it was given.
  cat > "$DRV/usr/bin/nvidia-smi" <<SMI
#!/bin/sh
if [ "\$1" = -L ] && [ -f "$DRV/smi-L.txt" ]; then cat "$DRV/smi-L.txt"; exit 0; fi
if [ -z "\$1" ] && [ -f "$DRV/smi-table.txt" ]; then cat "$DRV/smi-table.txt"; exit 0; fi
for d in /dev/nvidia[0-9]*; do echo "GPU \${d#/dev/nvidia}: Fake GPU"; done
SMI
  chmod 755 "$DRV/usr/bin/nvidia-smi"
  # GPU 0 (minor 0) is partitioned: MIG device 0 is GI 1 / CI 0, MIG device 1 is GI 2 / CI 0.
  # Their capability nodes are real character devices too: zero (1:5) and full (1:7) for GI 2's,
  # null (1:3) for GI 1's and the monitor's.
  local caps="$DRV/proc/driver/nvidia/capabilities"
  mkdir -p "$caps/gpu0/mig/gi1/ci0" "$caps/gpu0/mig/gi2/ci0" "$caps/mig" "$DRV/dev/nvidia-caps"
  printf 'DeviceFileMinor: 12\nDeviceFileMode: 292\n' > "$caps/gpu0/mig/gi1/access"
  printf 'DeviceFileMinor: 13\nDeviceFileMode: 292\n' > "$caps/gpu0/mig/gi1/ci0/access"
  printf 'DeviceFileMinor: 21\nDeviceFileMode: 292\n' > "$caps/gpu0/mig/gi2/access"
  printf 'DeviceFileMinor: 22\nDeviceFileMode: 292\n' > "$caps/gpu0/mig/gi2/ci0/access"
  printf 'DeviceFileMinor: 2\nDeviceFileMode: 292\n' > "$caps/mig/monitor"
  mknod -m 444 "$DRV/dev/nvidia-caps/nvidia-cap12" c 1 3
  mknod -m 444 "$DRV/dev/nvidia-caps/nvidia-cap13" c 1 3
  mknod -m 444 "$DRV/dev/nvidia-caps/nvidia-cap21" c 1 5
  mknod -m 444 "$DRV/dev/nvidia-caps/nvidia-cap22" c 1 7
  mknod -m 444 "$DRV/dev/nvidia-caps/nvidia-cap2" c 1 3
  printf '%s\n' 'GPU 0: Fake GPU (UUID: GPU-aaaa-1111)' \
    '  MIG 3g.40gb     Device  0: (UUID: MIG-0a0a0a0a-1111-5000-8000-000000000000)' \
    '  MIG 3g.40gb     Device  1: (UUID: MIG-0b0b0b0b-2222-5000-8000-000000000000)' \
    'GPU 1: Fake GPU (UUID: GPU-bbbb-2222)' > "$DRV/smi-L.txt"
  printf '%s\n' '| MIG devices:                    |' '| GPU  GI  CI  MIG |  Memory-Usage |' \
    '|==================+===============|' '|  0    1   0   0  |  1MiB / 40GiB |' \
    '|  0    2   0   1  |  1MiB / 40GiB |' > "$DRV/smi-table.txt"
  export CDI="$BERTH_TEST_ROOT/cdi"
  mkdir -p "$CDI"
  echo "accel firmware" > "$BERTH_TEST_ROOT/accel-fw.bin"
  cat > "$CDI/accel.yaml" <<YAML
cdiVersion: 0.6.0
kind: example.com/accel
containerEdits:
  env: [ACCEL_RUNTIME=berth-test]
devices:
  - name: "0"
    containerEdits:
      deviceNodes:
        - path: /dev/accel0
          hostPath: /dev/null
      mounts:
        - hostPath: $BERTH_TEST_ROOT/accel-fw.bin
          containerPath: /opt/accel/fw.bin
          options: [ro, nosuid, nodev, bind]
YAML
}
teardown_file() { berth_teardown_file; }

gpu_run() { BERTH_NVIDIA_DRIVER_ROOT=$DRV BERTH_CDI_SPEC_DIRS=$CDI berth "$@"; }

@test "--gpus all gives every GPU node, the control node, the driver library by soname and nvidia-smi" {
  run gpu_run run --rm --gpus all gbox:1 sh -c \
    'ls /dev/ | grep nvidia; nvidia-smi; ls /usr/lib/x86_64-linux-gnu/; echo x > /dev/nvidiactl && echo ctl-writable'
  expect_status 0
  [[ "$output" == *nvidia0* && "$output" == *nvidia1* && "$output" == *nvidiactl* ]]
  [[ "$output" == *"GPU 0: Fake GPU"* && "$output" == *"GPU 1: Fake GPU"* ]]
  [[ "$output" == *libcuda.so.1* && "$output" == *libcuda.so.580.1.2* ]]
  [[ "$output" == *ctl-writable* ]]
}

@test "--gpus device=1 and a UUID prefix pick one GPU; the driver files are read-only" {
  run gpu_run run --rm --gpus device=1 gbox:1 sh -c 'ls /dev | grep "^nvidia[0-9]"; stat -c "%t:%T" /dev/nvidia1'
  expect_status 0
  [ "${lines[0]}" = nvidia1 ]
  [ "${#lines[@]}" -eq 2 ]
  [ "${lines[1]}" = "1:7" ]
  run gpu_run run --rm --gpus '"device=GPU-aaaa"' gbox:1 sh -c 'ls /dev | grep "^nvidia[0-9]"'
  expect_status 0
  [ "$output" = nvidia0 ]
  run gpu_run run --rm --gpus 1 gbox:1 sh -c 'echo x > /usr/lib/x86_64-linux-gnu/libcuda.so.1'
  [ "$status" -ne 0 ]
  [[ "$output" == *"Read-only file system"* ]]
}

@test "without --gpus a container has no NVIDIA node, and inspect shows DeviceRequests as Docker does" {
  run gpu_run run --rm gbox:1 sh -c 'ls /dev | grep -c nvidia'
  [ "$output" = 0 ]
  gpu_run create --name gpujob --gpus all gbox:1 true >/dev/null
  run berth inspect --format '{{json .HostConfig.DeviceRequests}}' gpujob
  expect_status 0
  [ "$(echo "$output" | jq -c '.[0] | [.Driver, .Count, .DeviceIDs, .Capabilities, .Options]')" = '["",-1,null,[["gpu"]],{}]' ]
  local plain
  plain=$(berth create gbox:1 true)
  run berth inspect --format '{{json .HostConfig.DeviceRequests}}' "$plain"
  [ "$output" = null ]
  berth rm "$plain" >/dev/null
  # The devices were fixed at create: the container starts without the variables set.
  run berth start -a gpujob
  expect_status 0
  berth rm -f gpujob >/dev/null
}

@test "--gpus errors: no driver, an unknown GPU, a bad value (exit 125, Docker's words)" {
  BERTH_NVIDIA_DRIVER_ROOT=$BERTH_TEST_ROOT/nothing run berth run --rm --gpus all gbox:1 true
  expect_status 125
  [[ "$output" == *'could not select device driver "" with capabilities: [[gpu]]'* ]]
  run gpu_run run --rm --gpus device=7 gbox:1 true
  expect_status 125
  [[ "$output" == *"unknown device: 7"* ]]
  run gpu_run run --rm --gpus count=2,device=0 gbox:1 true
  expect_status 125
  [[ "$output" == *'invalid argument "count=2,device=0" for "--gpus" flag: cannot set both Count and DeviceIDs'* ]]
  [ -z "$(berth ps -aq)" ]
}

@test "CDI: --device vendor.com/class=name applies the spec's env, node and mount; unknown names fail" {
  run gpu_run run --rm --device example.com/accel=0 gbox:1 sh -c \
    'echo "$ACCEL_RUNTIME"; stat -c "%F %t:%T" /dev/accel0; cat /opt/accel/fw.bin'
  expect_status 0
  [ "${lines[0]}" = berth-test ]
  [ "${lines[1]}" = "character special file 1:3" ]
  [ "${lines[2]}" = "accel firmware" ]
  run gpu_run run --rm --device example.com/accel=9 gbox:1 true
  expect_status 125
  [[ "$output" == *"unresolvable CDI devices example.com/accel=9"* ]]
}

@test "CDI hooks run in berth's own runtime: createContainer sees the bundle, poststop runs after exit" {
  local hooks="$BERTH_TEST_ROOT/cdi-hooks"
  mkdir -p "$hooks/specs"
  # As nvidia-ctk's hooks do, the hook finds the container's root through the state's bundle.
  cat > "$hooks/hook.sh" <<'SH'
#!/bin/sh
state=$(cat)
bundle=$(printf '%s' "$state" | sed -n 's/.*"bundle":"\([^"]*\)".*/\1/p')
case "$1" in
  ldcache) echo "hooked by $1" > "$bundle/rootfs/etc/cdi-hook" ;;
  poststop) printf '%s' "$state" > "$(dirname "$0")/poststop.state" ;;
esac
SH
  chmod 755 "$hooks/hook.sh"
  cat > "$hooks/specs/hooked.yaml" <<YAML
cdiVersion: 0.6.0
kind: example.com/hooked
devices:
  - name: "0"
    containerEdits:
      hooks:
        - hookName: createContainer
          path: $hooks/hook.sh
          args: [hook.sh, ldcache]
        - hookName: poststop
          path: $hooks/hook.sh
          args: [hook.sh, poststop]
YAML
  BERTH_CDI_SPEC_DIRS="$hooks/specs" run --separate-stderr berth run --rm --name hooked \
    --device example.com/hooked=0 gbox:1 cat /etc/cdi-hook
  expect_status 0
  [ "$output" = "hooked by ldcache" ]
  [[ "$stderr" != *"does not run"* ]]
  grep -q '"status":"stopped"' "$hooks/poststop.state"
  # A hook that fails stops the start, names the hook, and the container is not left behind.
  printf '#!/bin/sh\nexit 7\n' > "$hooks/fail.sh"
  chmod 755 "$hooks/fail.sh"
  cat > "$hooks/specs/failing.yaml" <<YAML
cdiVersion: 0.6.0
kind: example.com/failing
devices:
  - name: "0"
    containerEdits:
      hooks:
        - hookName: createContainer
          path: $hooks/fail.sh
YAML
  BERTH_CDI_SPEC_DIRS="$hooks/specs" run berth run --rm --name hookfail \
    --device example.com/failing=0 gbox:1 true
  expect_status 125
  [[ "$output" == *"createContainer hook $hooks/fail.sh failed with status 7"* ]]
  run berth ps -a --format '{{.Names}}'
  [[ "$output" != *hooked* && "$output" != *hookfail* ]]
}

@test "--gpus uses an nvidia.com/gpu CDI spec when there is one" {
  local dir="$BERTH_TEST_ROOT/cdi-nvidia"
  mkdir -p "$dir"
  cat > "$dir/nvidia.yaml" <<YAML
cdiVersion: 0.6.0
kind: nvidia.com/gpu
containerEdits:
  env: [NVIDIA_VISIBLE_DEVICES=void]
  deviceNodes: [{path: /dev/nvidiactl, hostPath: $DRV/dev/nvidiactl}]
devices:
  - {name: "0", containerEdits: {deviceNodes: [{path: /dev/nvidia0, hostPath: $DRV/dev/nvidia0}]}}
  - {name: "1", containerEdits: {deviceNodes: [{path: /dev/nvidia1, hostPath: $DRV/dev/nvidia1}]}}
YAML
  BERTH_CDI_SPEC_DIRS=$dir BERTH_NVIDIA_DRIVER_ROOT=$BERTH_TEST_ROOT/nothing \
    run berth run --rm --gpus 1 gbox:1 \
    sh -c 'echo "$NVIDIA_VISIBLE_DEVICES"; ls /dev | grep nvidia'
  expect_status 0
  [ "$output" = "$(printf 'void\nnvidia0\nnvidiactl')" ]
}

@test "seed 004's line with --runtime nvidia: GPUs from NVIDIA_VISIBLE_DEVICES without the toolkit" {
  berth import -c 'ENV NVIDIA_VISIBLE_DEVICES=all' -c 'CMD ["sh"]' "$BUSYBOX_TAR" colorai/cauchycv_visdom:0.2.7 >/dev/null
  local data="$BERTH_TEST_ROOT/data"
  mkdir -p "$data" && echo model > "$data/weights"
  local memlock=$(( $(ulimit -Hl) == 0 ? 0 : 64 ))
  run gpu_run run -d --name cauchy_service --restart unless-stopped --volume "$data:/data" \
    --network host --hostname colorai --runtime nvidia --shm-size=2g \
    --ulimit "memlock=$memlock" --ulimit stack=67108864 colorai/cauchycv_visdom:0.2.7 \
    sh -c 'cat /data/weights; ls /dev | grep "^nvidia"; nvidia-smi; sleep 100'
  expect_status 0
  local i
  for i in $(seq 50); do berth logs cauchy_service | grep -q "GPU 1" && break; sleep 0.1; done
  run berth logs cauchy_service
  [[ "$output" == *model* && "$output" == *nvidia0* && "$output" == *nvidia1* && "$output" == *"GPU 1: Fake GPU"* ]]
  run berth inspect --format '{{.HostConfig.Runtime}} {{.State.Status}}' cauchy_service
  [ "$output" = "nvidia running" ]
  berth rm -f cauchy_service >/dev/null
  # -e overrides the image's value; an image without it gets no GPU, as with NVIDIA's runtime.
  run gpu_run run --rm --runtime nvidia -e NVIDIA_VISIBLE_DEVICES=1 colorai/cauchycv_visdom:0.2.7 sh -c 'ls /dev | grep "^nvidia[0-9]"'
  [ "$output" = nvidia1 ]
  run gpu_run run --rm --runtime nvidia gbox:1 sh -c 'ls /dev | grep -c nvidia'
  [ "$output" = 0 ]
}

@test "MIG: device=0:1 and MIG-<uuid> give the parent GPU and the instance's capability nodes, usable" {
  run gpu_run run --rm --gpus '"device=0:1"' gbox:1 sh -c \
    'ls /dev | grep "^nvidia[0-9]"; ls /dev/nvidia-caps; stat -c "%n %t:%T" /dev/nvidia-caps/*; head -c 2 /dev/nvidia-caps/nvidia-cap21 | od -An -tx1'
  expect_status 0
  [ "${lines[0]}" = nvidia0 ]  # the parent GPU only
  [ "${lines[1]}" = nvidia-cap21 ]  # GI 2
  [ "${lines[2]}" = nvidia-cap22 ]  # its CI 0
  [ "${lines[3]}" = "/dev/nvidia-caps/nvidia-cap21 1:5" ]
  [ "${lines[4]}" = "/dev/nvidia-caps/nvidia-cap22 1:7" ]
  [ "$(echo ${lines[5]})" = "00 00" ]  # the device cgroup lets it read the node
  [ "${#lines[@]}" -eq 6 ]
  # By UUID prefix, by NVIDIA_VISIBLE_DEVICES with --runtime nvidia, and the old form with the
  # mig-monitor capability.
  run gpu_run run --rm --gpus device=MIG-0a0a0a0a gbox:1 ls /dev/nvidia-caps
  expect_status 0
  [ "$output" = "$(printf 'nvidia-cap12\nnvidia-cap13')" ]
  run gpu_run run --rm --runtime nvidia -e NVIDIA_VISIBLE_DEVICES=0:1 gbox:1 ls /dev/nvidia-caps
  [ "$output" = "$(printf 'nvidia-cap21\nnvidia-cap22')" ]
  run gpu_run run --rm --gpus '"device=MIG-GPU-aaaa-1111/1/0","capabilities=utility,mig-monitor"' gbox:1 ls /dev/nvidia-caps
  expect_status 0
  [ "$output" = "$(printf 'nvidia-cap12\nnvidia-cap13\nnvidia-cap2')" ]
}

@test "MIG errors: an index or UUID that does not exist exits 125 naming it; nothing is created" {
  run gpu_run run --rm --gpus '"device=0:7"' gbox:1 true
  expect_status 125
  [[ "$output" == *"unknown MIG device: 0:7 (GPU 0 has MIG devices 0:0, 0:1)"* ]]
  run gpu_run run --rm --gpus '"device=1:0"' gbox:1 true
  expect_status 125
  [[ "$output" == *"unknown MIG device: 1:0 (GPU 1 has no MIG device; is MIG mode enabled?)"* ]]
  run gpu_run run --rm --gpus device=MIG-ffff gbox:1 true
  expect_status 125
  [[ "$output" == *"unknown MIG device: MIG-ffff"* ]]
  run gpu_run run --rm --gpus device=MIG-GPU-aaaa-1111/2/9 gbox:1 true
  expect_status 125
  [[ "$output" == *"unknown MIG device: MIG-GPU-aaaa-1111/2/9"* ]]
  [ -z "$(berth ps -aq)" ]
}

@test "info lists the runtimes --runtime takes and the CDI spec directories, as Docker's does" {
  run gpu_run info
  expect_status 0
  [[ "$output" == *" Default Runtime: berth"* ]]
  [[ "$output" =~ \ Runtimes:\ berth.*\ nvidia ]]
  [[ "$output" == *" CDI spec directories:"$'\n'"  $CDI"* ]]
  run gpu_run info --format '{{json .CDISpecDirs}}'
  [ "$output" = "[\"$CDI\"]" ]
}
