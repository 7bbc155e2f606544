#!/usr/bin/env bash
# Builds the benchmark corpus offline-from-the-registry (only Debian's package mirror is used) and
# caches it OUTSIDE the repository:
#   base    debootstrap --variant=minbase bookworm, cleaned as published base images are
#   python  base + python3           (one extra layer)
#   nginx   base + nginx-light       (one extra layer)
#   jre     base + openjdk-17-jre-headless (one extra layer)
# packed as one OCI layout with umoci (unpack, change, repack), tags base, python, nginx, jre.
#
#   bench/corpus.sh [CACHE_DIR]      default: $BLOCKLIFT_BENCH_CACHE or ~/.cache/blocklift-bench
# Prints the layout path on its last line. Re-running reuses what is already built.
set -euo pipefail
cache=${1:-${BLOCKLIFT_BENCH_CACHE:-$HOME/.cache/blocklift-bench}}
mirror=${BLOCKLIFT_BENCH_MIRROR:-http://deb.debian.org/debian}
layout=$cache/oci
mkdir -p "$cache"
log() { printf '[corpus] %s\n' "$*" >&2; }

for tool in debootstrap umoci chroot; do
  command -v "$tool" >/dev/null || { echo "corpus.sh: needs $tool (apt-get install debootstrap umoci)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "corpus.sh: needs root (debootstrap, chroot)" >&2; exit 1; }

clean_rootfs() { # what published Debian images leave out
  local r=$1
  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/cache/apt/archives/*.deb \
         "$r"/var/cache/apt/archives/partial/* "$r"/var/log/apt/* "$r"/var/log/dpkg.log \
         "$r"/var/log/bootstrap.log "$r"/var/log/alternatives.log "$r"/tmp/* "$r"/root/.bash_history
  mkdir -p "$r"/var/lib/apt/lists/partial
}

if [ ! -f "$layout/index.json" ] || ! grep -q '"base"' "$layout/index.json"; then
  rm -rf "$cache/base-rootfs" "$layout"
  log "debootstrap --variant=minbase bookworm from $mirror (a few minutes)"
  debootstrap --variant=minbase bookworm "$cache/base-rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 \
    || { tail -20 "$cache/debootstrap.log" >&2; exit 1; }
  clean_rootfs "$cache/base-rootfs"
  umoci init --layout "$layout"
  umoci new --image "$layout:base"
  umoci insert --image "$layout:base" "$cache/base-rootfs" /
  umoci config --image "$layout:base" --config.cmd /bin/bash --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  rm -rf "$cache/base-rootfs"
fi

derive() { # derive TAG PACKAGE... : base + apt-get install PACKAGES as one layer
  local tag=$1; shift
  if grep -q "\"$tag\"" "$layout/index.json"; then return; fi
  log "building $tag: base + $*"
  local bundle=$cache/bundle-$tag
  rm -rf "$bundle"
  umoci unpack --image "$layout:base" "$bundle" >/dev/null
  local r=$bundle/rootfs
  cp /etc/resolv.conf "$r/etc/resolv.conf" 2>/dev/null || true
  mount -t proc proc "$r/proc"
  trap 'umount "'"$r"'/proc" 2>/dev/null || true' EXIT
  chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends $* >/dev/null"
  umount "$r/proc"; trap - EXIT
  : > "$r/etc/resolv.conf"
  clean_rootfs "$r"
  umoci repack --image "$layout:$tag" "$bundle"
  rm -rf "$bundle"
}
derive python python3
derive nginx nginx-light
derive jre openjdk-17-jre-headless
umoci config --image "$layout:python" --config.cmd python3 >/dev/null 2>&1 || true
umoci gc --layout "$layout"
log "corpus ready: tags $(umoci ls --layout "$layout" | tr '\n' ' ')"
echo "$layout"
