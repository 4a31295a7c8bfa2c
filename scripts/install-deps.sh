#!/usr/bin/env bash
# Installs the Debian packages leadrank needs to build and test (and, with --bench, to
# benchmark), and nothing that is already there. Safe to run again; run as root (or with
# sudo available).
#   scripts/install-deps.sh           what `make test` and `make demo` need
#   scripts/install-deps.sh --bench   also gnuplot-nox (the bench chart) and isal (the
#                                     `igzip -dc` floor); node/npm are never installed
#                                     here: the DuckDB peer is optional
set -euo pipefail

# Each entry: a file or command whose presence proves the package is installed, and the
# package that provides it.
needs=(
  "/usr/include/csv.h libcsv-dev"
  "/usr/include/zlib.h zlib1g-dev"
  "/usr/include/jansson.h libjansson-dev"
  "/usr/include/hiredis/hiredis.h libhiredis-dev"
  "/usr/include/xxhash.h libxxhash-dev"
  "/usr/include/isa-l.h libisal-dev"
  "/usr/bin/redis-server redis-server"
  "/usr/bin/python3 python3"
  "/usr/bin/gcc gcc"
  "/usr/bin/make make"
  "/usr/bin/pkg-config pkg-config"
  "/usr/bin/gzip gzip"
)
if [ "${1:-}" = "--bench" ]; then
  needs+=("/usr/bin/gnuplot gnuplot-nox" "/usr/bin/igzip isal")
fi

missing=()
for entry in "${needs[@]}"; do
  probe=${entry%% *}
  pkg=${entry#* }
  [ -e "$probe" ] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
