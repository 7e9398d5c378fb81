#!/usr/bin/env bash
# Installs what @stepwise/webgpu's tests need on a GPU-less Debian bookworm machine:
# Mesa 25's lavapipe (software Vulkan) from bookworm-backports, which Node's `webgpu`
# package (Dawn) runs on. Mesa 22 from bookworm proper is too old (Dawn rejects it with
# "Vulkan shaderUniform*ArrayDynamicIndexing required"). Idempotent: safe to run again.
#
# bookworm-backports is added with the same URIs (and key) as the machine's own bookworm
# entry, so it works wherever apt already works: no mirror host is named here.
#
#   --print-sources  print the backports entry this machine would get and change nothing
#                    (nothing is printed when the machine has bookworm-backports already).
#
# APT_ETC (default /etc/apt) is where the sources are read and the entry written; SUDO, if
# set (even empty), replaces the `sudo` used when not root. Both are for tests.
set -euo pipefail

APT_ETC="${APT_ETC:-/etc/apt}"
BACKPORTS="$APT_ETC/sources.list.d/backports.sources"

if [ -z "${SUDO+set}" ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
fi

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

# The machine's apt source files, one per line: the one-line format (sources.list, *.list)
# and deb822 (*.sources). Our own entry is left out: it must not describe itself.
source_files() {
  local f
  if [ -f "$APT_ETC/sources.list" ]; then echo "$APT_ETC/sources.list"; fi
  for f in "$APT_ETC"/sources.list.d/*.list "$APT_ETC"/sources.list.d/*.sources; do
    if [ -f "$f" ] && [ "$f" != "$BACKPORTS" ]; then echo "$f"; fi
  done
}

# What the enabled `deb` entries of suite $1, in the files given after $2, say; $2 picks:
#   uris    -> "URIs: <every URI of those entries, each once>" (nothing if there is none)
#   signed  -> the first entry's Signed-By field, as deb822 lines (nothing if it has none)
# Both formats: deb822 stanzas (fields, continuation lines, `Enabled: no`) and one-line
# `deb [options] URI suite components` lines.
suite_field() {
  local suite="$1" part="$2"
  shift 2
  if [ "$#" -eq 0 ]; then return 0; fi
  awk -v want="$suite" -v part="$part" '
    function has(list, word,    n, i, w) {
      n = split(list, w, /[ \t]+/)
      for (i = 1; i <= n; i++) if (w[i] == word) return 1
      return 0
    }
    function add_uri(u) { if (u != "" && u !~ /^cdrom:/ && !(u in seen)) { seen[u] = 1; uris = uris (uris == "" ? "" : " ") u } }
    function take(signed_lines,    n, u, i) {
      n = split(s_uris, u, /[ \t]+/)
      for (i = 1; i <= n; i++) add_uri(u[i])
      if (signed == "" && signed_lines != "") signed = signed_lines
    }
    function flush() {
      if (has(s_types, "deb") && has(s_suites, want) && tolower(s_enabled) != "no") take(s_signed)
      s_types = s_uris = s_suites = s_enabled = s_signed = field = ""
    }
    FNR == 1 { flush(); deb822 = FILENAME ~ /\.sources$/ }
    deb822 && /^#/ { next }
    deb822 && /^[ \t]*$/ { flush(); next }
    deb822 && /^[ \t]/ {
      # A continuation line: a multi-line value (an embedded key, more URIs).
      if (field == "signed-by") s_signed = s_signed "\n" $0
      else if (field == "uris") s_uris = s_uris " " $0
      else if (field == "suites") s_suites = s_suites " " $0
      else if (field == "types") s_types = s_types " " $0
      next
    }
    deb822 {
      i = index($0, ":")
      if (i == 0) next
      field = tolower(substr($0, 1, i - 1))
      value = substr($0, i + 1)
      sub(/^[ \t]+/, "", value); sub(/[ \t]+$/, "", value)
      if (field == "types") s_types = value
      else if (field == "uris") s_uris = value
      else if (field == "suites") s_suites = value
      else if (field == "enabled") s_enabled = value
      else if (field == "signed-by") s_signed = "Signed-By:" (value == "" ? "" : " " value)
      next
    }
    !deb822 {
      line = $0
      sub(/#.*/, "", line)
      opts = ""
      if (match(line, /\[[^\]]*\]/)) {
        opts = substr(line, RSTART + 1, RLENGTH - 2)
        line = substr(line, 1, RSTART - 1) " " substr(line, RSTART + RLENGTH)
      }
      n = split(line, f, /[ \t]+/)
      j = 1
      while (j <= n && f[j] == "") j++
      if (f[j] != "deb" || f[j + 2] != want) next
      s_uris = f[j + 1]
      s_signed = ""
      if (match(opts, /signed-by=[^ \t]+/)) s_signed = "Signed-By: " substr(opts, RSTART + 10, RLENGTH - 10)
      take(s_signed)
      s_uris = s_signed = ""
    }
    END {
      flush()
      if (part == "uris" && uris != "") print "URIs: " uris
      if (part == "signed" && signed != "") print signed
    }
  ' "$@"
}

# The bookworm-backports entry for this machine, in deb822; nothing when another source
# already has bookworm-backports; fails when there is no bookworm entry to copy.
backports_entry() {
  local files uris signed
  mapfile -t files < <(source_files)
  if [ -n "$(suite_field bookworm-backports uris "${files[@]}")" ]; then return 0; fi
  uris=$(suite_field bookworm uris "${files[@]}")
  if [ -z "$uris" ]; then
    echo "install-webgpu-deps: no enabled Debian bookworm entry in $APT_ETC/sources.list or" \
      "$APT_ETC/sources.list.d/ to take the bookworm-backports URIs from" >&2
    return 1
  fi
  signed=$(suite_field bookworm signed "${files[@]}")
  printf 'Types: deb\n%s\nSuites: bookworm-backports\nComponents: main\n' "$uris"
  if [ -n "$signed" ]; then printf '%s\n' "$signed"; fi
}

entry=$(backports_entry)
if [ "${1:-}" = "--print-sources" ]; then
  if [ -n "$entry" ]; then printf '%s\n' "$entry"; fi
  exit 0
fi

if [ -z "$entry" ]; then
  echo "install-webgpu-deps: bookworm-backports is already configured"
elif [ ! -f "$BACKPORTS" ] || [ "$(cat "$BACKPORTS")" != "$entry" ]; then
  printf '%s\n' "$entry" | $SUDO tee "$BACKPORTS" >/dev/null
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
