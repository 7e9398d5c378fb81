#!/bin/bash
# Makes the git-ignored payload folder .devbench/ (at the repository root) that the device run
# carries: this machine's node binary and Dawn's dawn.node (xz'd), the `webgpu` package's JS,
# the Vulkan/GL loader .debs (the device machine has no libvulkan), run.sh, and the bench bundle
# gpubench.mjs (build.mjs, stepwise sources from GPUBENCH_FROM, default HEAD).
# Usage, from anywhere in the repository after `pnpm install`:
#   bash apps/bench/device/prepare.sh          # makes what is missing, always rebuilds the bundle
#   bash apps/bench/device/prepare.sh --clean  # deletes the folder first
# Env: GPUBENCH_DIR (default .devbench, relative to the repository root), GPUBENCH_FROM.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
cd "$ROOT"
D=${GPUBENCH_DIR:-.devbench}
if [ "${1:-}" = --clean ]; then rm -rf "$D"; fi
mkdir -p "$D/webgpu" "$D/gl"

NODE=$(readlink -f "$(command -v node)")
if [ ! -s "$D/node.xz" ]; then
  echo "== xz -9 $NODE ($("$NODE" --version)) -> $D/node.xz (a minute or two)"
  xz -9 -T0 -c "$NODE" >"$D/node.xz.tmp" && mv "$D/node.xz.tmp" "$D/node.xz"
fi

# The webgpu package the bench resolves (apps/bench's dependency), else any in pnpm's store.
WG=$(readlink -f apps/bench/node_modules/webgpu 2>/dev/null || true)
if [ -z "$WG" ] || [ ! -f "$WG/package.json" ]; then
  WG=$(ls -d node_modules/.pnpm/webgpu@*/node_modules/webgpu 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [ -z "$WG" ] || [ ! -f "$WG/dist/linux-x64/dawn.node" ]; then
  echo "no webgpu package with dist/linux-x64/dawn.node: run pnpm install" >&2
  exit 1
fi
if [ ! -s "$D/dawn.node.xz" ]; then
  echo "== xz -9 $WG/dist/linux-x64/dawn.node -> $D/dawn.node.xz"
  xz -9 -T0 -c "$WG/dist/linux-x64/dawn.node" >"$D/dawn.node.xz.tmp" && mv "$D/dawn.node.xz.tmp" "$D/dawn.node.xz"
fi
cp "$WG/index.js" "$WG/package.json" "$D/webgpu/"

# Vulkan/GL loaders for amd64 (Ubuntu's/Debian's; run.sh unpacks them there only when
# `ldconfig -p` has no libvulkan.so.1). A separate list folder leaves the system's apt state alone.
if ! ls "$D"/gl/libvulkan1_*.deb >/dev/null 2>&1; then
  echo "== apt-get download of the loader .debs -> $D/gl"
  mkdir -p /tmp/amd64/partial
  o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
  apt-get "${o[@]}" update
  (cd "$D/gl" && apt-get "${o[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi

cp "$HERE/run.sh" "$D/run.sh"
chmod +x "$D/run.sh"
GPUBENCH_DIR="$D" node "$HERE/build.mjs"

echo "== $D:"
ls -la "$D" "$D/gl" "$D/webgpu"
KB=$(du -sk "$D" | cut -f1)
echo "== $((KB / 1024)) MiB in $D (a device run carries at most 64 MiB)"
if [ "$KB" -gt $((64 * 1024)) ]; then echo "warning: over 64 MiB, the carry will be refused" >&2; fi
