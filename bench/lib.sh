# Shared helpers for the bench scripts (sourced).
set -euo pipefail
BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_CACHE=${BLOCKLIFT_BENCH_CACHE:-$HOME/.cache/blocklift-bench}
BENCH_WORK=${BLOCKLIFT_BENCH_WORK:-$BENCH_CACHE/work}
mkdir -p "$BENCH_WORK"

for c in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25*; do
  [ -x "$c/bin/java" ] && { BENCH_JAVA=$c/bin/java; break; }
done

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; }

# Runs "$@" RUNS times (default 3) after a cold page cache each time; prints the median seconds.
time_median() {
  local runs=${RUNS:-3} t0 t1
  for _ in $(seq "$runs"); do
    [ -n "${BENCH_SETUP:-}" ] && eval "$BENCH_SETUP"
    drop_caches
    t0=$(now); "$@" >/dev/null 2>&1 || { echo "bench: command failed: $*" >&2; return 1; }; t1=$(now)
    elapsed "$t0" "$t1"
  done | median
}

bench_classpath() {
  (cd "$BENCH_ROOT" && ./mvnw -q -B -ntp -DskipTests -Dspotless.check.skip=true -pl bench -am install >&2)
  echo "$BENCH_ROOT/bench/target/classes:$BENCH_ROOT/core/target/classes"
}

corpus_layout() {
  "$BENCH_ROOT/bench/corpus.sh" | tail -1
}

# The eager path: umoci unpack + mkfs.ext4 -d of an OCI image (IMAGE as umoci's --image, i.e.
# LAYOUT:TAG without the "oci:" prefix), writing OUT/mkfs-NAME.img.
eager_baseline() {
  local image=${1#oci:} out=$2 name=$3 dir=$2/unpack-$3
  rm -rf "$dir"
  umoci unpack --image "$image" "$dir" >/dev/null
  local kib; kib=$(du -sk --apparent-size "$dir/rootfs" | cut -f1)
  local size=$(( (kib * 13 / 10 + 65536) / 1024 ))M
  rm -f "$out/mkfs-$name.img"
  mkfs.ext4 -q -F -E root_owner=0:0 -d "$dir/rootfs" "$out/mkfs-$name.img" "$size"
}

# A numeric field of a one-line JSON object: json_field KEY < json
json_field() { grep -o "\"$1\" *: *[0-9.]*" | head -1 | sed 's/.*: *//'; }
