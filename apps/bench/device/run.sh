#!/bin/bash
# Device-side (and local) runner: unpacks node and Dawn into /tmp/gb, sets up Vulkan, runs the bench.
# Usage: bash .devbench/run.sh  or  bash apps/bench/device/run.sh   (prepare.sh made .devbench;
# env: OUT, GPUBENCH_QUICK, GPUBENCH_DEADLINE_S, GPUBENCH_LOCAL=1 to skip the NVIDIA/Vulkan setup,
# GPUBENCH_DIR to name the payload folder)
D=$(cd "$(dirname "$0")" && pwd)
if [ -n "$GPUBENCH_DIR" ]; then D=$(cd "$GPUBENCH_DIR" && pwd)
elif [ ! -f "$D/node.xz" ]; then D=$(cd "$D/../../.." && pwd)/.devbench; fi
OUT=${OUT:-/tmp/gbout}; mkdir -p "$OUT"
unxz() { xz -dc "$1" > "$2" 2>/dev/null || python3 -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],'wb'))" "$1" "$2"; }
echo "== host: $(uname -m) $(. /etc/os-release 2>/dev/null; echo $PRETTY_NAME); node on PATH: $(command -v node || echo none) $(node --version 2>/dev/null)"
if [ "${GPUBENCH_LOCAL:-0}" != 1 ]; then
  echo "== nvidia-smi -L"; nvidia-smi -L 2>&1
  echo "== libvulkan before: $(ldconfig -p | grep -c libvulkan)"
  if ! ldconfig -p | grep -q 'libvulkan.so.1'; then
    for f in "$D"/gl/*.deb; do dpkg -x "$f" / && echo "unpacked $(basename $f)"; done; ldconfig
  fi
  echo "== libvulkan after:"; ldconfig -p | grep libvulkan
  echo "== ICD files:"; ls -la /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d 2>&1
  if [ -z "$VK_DRIVER_FILES" ] && ! ls /usr/share/vulkan/icd.d/nvidia*.json /etc/vulkan/icd.d/nvidia*.json >/dev/null 2>&1 && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  fi
  echo "VK_DRIVER_FILES=$VK_DRIVER_FILES"
fi
G=/tmp/gb; rm -rf $G; mkdir -p $G/node_modules/webgpu/dist/linux-x64
t=$(date +%s.%N)
unxz "$D/node.xz" $G/node && chmod +x $G/node
unxz "$D/dawn.node.xz" $G/node_modules/webgpu/dist/linux-x64/dawn.node
cp "$D"/webgpu/index.js "$D"/webgpu/package.json $G/node_modules/webgpu/
cp "$D/gpubench.mjs" $G/
echo "== unpacked in $(echo "$(date +%s.%N) - $t" | bc 2>/dev/null || echo '?') s; node $($G/node --version)"
cd $G && OUT="$OUT" GPUBENCH_OUT="$OUT" ./node gpubench.mjs 2>&1
echo "== bench exit $?"
