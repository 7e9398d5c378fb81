#!/usr/bin/env bash
# Installs what @stepwise/webgpu's tests need on a GPU-less Debian bookworm machine:
# Mesa 25's lavapipe (software Vulkan) from bookworm-backports, which Node's `webgpu`
# package (Dawn) runs on. Mesa 22 from bookworm proper is too old (Dawn rejects it with
# "Vulkan shaderUniform*ArrayDynamicIndexing required"). Idempotent: safe to run again.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Waits for another apt/dpkg run to release its lock instead of failing.
apt_get() {
  local tries=0
  until $SUDO apt-get -o DPkg::Lock::Timeout=600 "$@"; do
    tries=$((tries + 1))
    if [ "$tries" -ge 5 ]; then
      echo "install-webgpu-deps: apt-get $* failed $tries times" >&2
      return 1
    fi
    sleep 10
  done
}

SOURCES=/etc/apt/sources.list.d/backports.sources
if ! grep -qs 'bookworm-backports' "$SOURCES"; then
  $SUDO tee "$SOURCES" >/dev/null <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt_get update
fi

# Skip the install when Mesa from backports (>= 25) is already there.
installed=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
if [ -n "$installed" ] && dpkg --compare-versions "$installed" ge 25; then
  echo "install-webgpu-deps: mesa-vulkan-drivers $installed already installed"
else
  apt_get update
  DEBIAN_FRONTEND=noninteractive apt_get install -y -t bookworm-backports mesa-vulkan-drivers libvulkan1
fi
