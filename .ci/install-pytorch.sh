#!/usr/bin/env bash
# Installs Debian's PyTorch (python3-torch, run as /usr/bin/python3), so the tests that hand
# stepwise's checkpoints to real PyTorch (.pt and safetensors written here, loaded there)
# run in CI instead of being skipped. Idempotent; apt's sources are the machine's own.
set -euo pipefail
if /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get -o DPkg::Lock::Timeout=600 update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends python3-torch
