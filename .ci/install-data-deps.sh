#!/usr/bin/env bash
# Installs Debian's Fashion-MNIST (dataset-fashion-mnist: the real IDX files in
# /usr/share/datasets/fashion-mnist), so @stepwise/vision's reader is tested on the real
# files and the examples train on real data. Idempotent; apt's sources are the machine's own.
set -euo pipefail
if [ -d /usr/share/datasets/fashion-mnist ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get -o DPkg::Lock::Timeout=600 update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends dataset-fashion-mnist
