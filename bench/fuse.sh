#!/usr/bin/env bash
# Issue 4 benchmark: read throughput of the blocklift FUSE device file vs `nbdkit file` +
# `nbdfuse` on the same ext4 image (the flattened bytes of the same image).
#
# blocklift (CLI): `blocklift mount --ro` of the converted image (FUSE file + loop + ext4); the device
# file is read straight from the FUSE directory the mount leaves under /run/blocklift/mounts/<id>/fuse
# (the CLI keeps 8 plaintext chunks per device).
# blocklift (PT=N): the same image's device served by bench/fuse/ServeDevice.java (the attach half of
# `mount`: worker + FUSE file, no loop/ext4) with a plaintext cache of N chunks (readahead on).
# Each blocklift file is read fully three times first ("warm": every chunk in the worker's memory
# tier, which admits a chunk on its second access, and the JIT warm); the disk tier and the host page
# cache do not serve it after the drops below.
# nbdkit: `nbdkit file IMG` on a unix socket, `nbdfuse DIR --unix SOCKET`, reading DIR/nbd.
#
# Every measured read opens the file with O_DIRECT (so neither FUSE file is served from its own page
# cache) and the host page cache is dropped before each one. nbdkit's backing file is then read from
# disk ("nbdkit cold"); a second nbdkit row keeps the backing file in the page cache ("nbdkit hot",
# the fairest match to blocklift's warm memory tier). Sequential: whole file, 1 MiB reads. Random:
# 4 KiB reads at seeded random aligned offsets for SECONDS (default 5), 1 and 8 threads.
source "$(dirname "$0")/lib.sh"
layout=$(corpus_layout)
tag=${FUSE_BENCH_TAG:-python}
seconds=${SECONDS_PER_RUN:-5}
cli_cp="$BENCH_ROOT/cli/target/classes:$BENCH_ROOT/cli/target/lib/*"
"$BENCH_ROOT/blocklift" --version >/dev/null
bench_classpath >/dev/null
blocklift() { "$BENCH_JAVA" --enable-native-access=ALL-UNNAMED -cp "$cli_cp" dev.blocklift.cli.Main "$@"; }
reader() { "$BENCH_JAVA" -cp "$BENCH_ROOT/bench/target/classes" dev.blocklift.bench.FileReadBench "$@"; }

out=$BENCH_WORK/fuse
home=$out/home
mnt=$out/mnt
nbddir=$out/nbd
sock=$out/nbd.sock
plaintext_chunks=${FUSE_BENCH_PLAINTEXT:-512}
srvdir=$out/srv
cleanup() {
  set +e
  if [ -n "${srv_pid:-}" ]; then
    exec 7>&- # ServeDevice sees EOF on stdin, unmounts and exits
    for _ in $(seq 50); do kill -0 "$srv_pid" 2>/dev/null || break; sleep 0.1; done
    kill "$srv_pid" 2>/dev/null
  fi
  mountpoint -q "$srvdir" && fusermount3 -u -z "$srvdir"
  mountpoint -q "$nbddir" && fusermount3 -u "$nbddir"
  [ -f "$out/nbdkit.pid" ] && kill "$(cat "$out/nbdkit.pid")" 2>/dev/null
  mountpoint -q "$mnt" && blocklift umount "$mnt" >/dev/null 2>&1
  rm -rf "$home" "$out/nbdkit.pid" "$sock"
}
trap cleanup EXIT
cleanup
mkdir -p "$mnt" "$nbddir" "$srvdir"

blocklift convert --home "$home" "oci:$layout:$tag" --name "corpus/$tag:1" --json >/dev/null
blocklift flatten "oci:$layout:$tag" -o "$out/$tag.img" >/dev/null

blocklift mount --home "$home" --ro "corpus/$tag:1" "$mnt" >/dev/null
state=$(grep -l "\"dir\":\"$mnt\"" /run/blocklift/mounts/*/state.json | head -1)
fusefile=$(sed 's/.*"fuseDir":"\([^"]*\)".*/\1/' "$state")/image
[ -f "$fusefile" ] || { echo "bench: no FUSE file at $fusefile" >&2; exit 1; }

# The attach-only server; it serves until its stdin (a pipe we hold open) closes.
exec 7> >("$BENCH_JAVA" --enable-native-access=ALL-UNNAMED -cp "$cli_cp" \
  "$BENCH_ROOT/bench/fuse/ServeDevice.java" "$home" "corpus/$tag:1" "$srvdir" "$plaintext_chunks" \
  >"$out/srv.log" 2>&1)
srv_pid=$!
for _ in $(seq 300); do [ -f "$srvdir/image" ] && break; sleep 0.1; done
srvfile=$srvdir/image

nbdkit -U "$sock" --pidfile "$out/nbdkit.pid" file "$out/$tag.img"
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
nbdfuse "$nbddir" --unix "$sock" &
for _ in $(seq 50); do [ -f "$nbddir/nbd" ] && break; sleep 0.1; done
nbdfile=$nbddir/nbd

for f in "$fusefile" "$srvfile"; do
  cmp -s "$f" "$out/$tag.img" || { echo "bench: $f differs from the flattened image" >&2; exit 1; }
  reader seq "$f" --direct >/dev/null
  reader seq "$f" --direct >/dev/null
done
cmp -s "$nbdfile" "$out/$tag.img" || { echo "bench: nbdfuse file differs from the image" >&2; exit 1; }

# measure FILE DROP MODE ARGS...: median of RUNS runs, page cache dropped first when DROP=drop.
measure() {
  local file=$1 drop=$2; shift 2
  for _ in $(seq "${RUNS:-3}"); do
    if [ "$drop" = drop ]; then drop_caches; else cat "$out/$tag.img" >/dev/null; fi
    reader "$@" --direct
  done | median
}
row() { # row LABEL FILE DROP
  local seq r1 r8
  seq=$(measure "$2" "$3" seq "$2")
  r1=$(measure "$2" "$3" rand "$2" --threads 1 --seconds "$seconds")
  r8=$(measure "$2" "$3" rand "$2" --threads 8 --seconds "$seconds")
  echo "$1 $seq $r1 $r8"
}

size_mib=$(( $(stat -c %s "$out/$tag.img") / 1048576 ))
echo "image corpus/$tag: ${size_mib} MiB device; O_DIRECT reads, page cache dropped before each run;"
echo "median of ${RUNS:-3}; random runs ${seconds}s; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
b=$(row "blocklift-cli" "$fusefile" drop)
p=$(row "blocklift-pt$plaintext_chunks" "$srvfile" drop)
c=$(row "nbdkit-cold" "$nbdfile" drop)
h=$(row "nbdkit-hot" "$nbdfile" hot)
printf '%-34s %10s %14s %14s\n' "" "seq MB/s" "4K IOPS 1thr" "4K IOPS 8thr"
for r in "$b" "$p" "$c" "$h"; do
  read -r label s r1 r8 <<<"$r"
  printf '%-34s %10s %14s %14s\n' "$label" "$s" "$r1" "$r8"
done
for x in "$b" "$p"; do
  read -r xl xs x1 x8 <<<"$x"
  for r in "$c" "$h"; do
    read -r label s r1 r8 <<<"$r"
    printf '%-34s %9sx %13sx %13sx\n' "$xl / $label" "$(ratio "$xs" "$s")" "$(ratio "$x1" "$r1")" "$(ratio "$x8" "$r8")"
  done
done
