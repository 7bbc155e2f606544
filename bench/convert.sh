#!/usr/bin/env bash
# Issue 3/12 benchmark: blocklift convert (flatten + chunk + compress + encrypt + upload to a local
# store) on the corpus, against the eager baseline umoci unpack + mkfs.ext4 -d; a re-convert of
# the same image (every chunk present, the previous manifest there); stored bytes against the
# registry's gzip layer bytes; then the bytes uploaded when a derived image is converted after its
# base. Fresh home (keyring, store) per fresh run; cold page cache before every timed run.
#
#   bench/convert.sh            BENCH_TAGS (default: base python nginx jre), RUNS (default 3)
#
# Times are wall-clock medians; "cpu" is user + system seconds of the same runs (on a shared
# machine wall times swing with other load, CPU times much less).
source "$(dirname "$0")/lib.sh"
layout=$(corpus_layout)
"$BENCH_ROOT/blocklift" --version >/dev/null
cli_cp="$BENCH_ROOT/cli/target/classes:$BENCH_ROOT/cli/target/lib/*"
out=$BENCH_WORK/convert; mkdir -p "$out"
tags=${BENCH_TAGS:-base python nginx jre}

echo "raw crypto on this CPU (one core, MB per CPU-second):"
"$BENCH_JAVA" -cp "$cli_cp" dev.blocklift.chunk.ChunkCryptoBench --warmup 2 --seconds 2
echo

# measure CMD...: runs it RUNS times, cold page cache each time; prints "WALL CPU" of the run with
# the median wall time.
measure() {
  local runs=${RUNS:-3} f; f=$(mktemp)
  for _ in $(seq "$runs"); do
    [ -n "${BENCH_SETUP:-}" ] && eval "$BENCH_SETUP"
    drop_caches
    /usr/bin/time -f '%e %U %S' -o "$f" "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; rm -f "$f"; return 1; }
    awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' "$f"
  done | sort -g | awk '{ w[NR] = $1; c[NR] = $2 } END { m = int((NR + 1) / 2); print w[m], c[m] }'
  rm -f "$f"
}

convert_fresh() { # convert_fresh TAG: a fresh home each time, so every chunk is new
  rm -rf "$out/home"
  "$BENCH_ROOT/blocklift" convert --home "$out/home" "oci:$layout:$1" --name "corpus/$1:1" --json
}
convert_again() { # convert_again TAG: into a home that already holds this image
  "$BENCH_ROOT/blocklift" convert --home "$out/home-again" "oci:$layout:$1" --name "corpus/$1:1" --json
}

# Layer blobs (digest size) of TAG in the layout, as a registry serves them (gzip).
layers_of() {
  local m
  m=$(jq -r --arg t "$1" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' \
    "$layout/index.json" | head -1)
  jq -r '.layers[] | "\(.digest) \(.size)"' "$layout/blobs/sha256/${m#sha256:}"
}
sum_sizes() { awk '{ s += $2 } END { print s + 0 }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }

printf '%-7s %9s %9s %9s %9s %8s %9s %9s %8s %10s %10s %7s\n' image "convert" "cpu" "eager" "cpu" \
  "ratio" "again" "cpu" "ratio" "stored MB" "gzip MB" "ratio"
for tag in $tags; do
  read -r t_conv c_conv < <(measure convert_fresh "$tag")
  read -r t_base c_base < <(measure eager_baseline "$layout:$tag" "$out" "$tag")
  rm -rf "$out/home-again"; convert_again "$tag" >/dev/null
  read -r t_again c_again < <(measure convert_again "$tag")
  json=$(convert_fresh "$tag")
  stored=$(json_field bytesUploaded <<<"$json")
  gz=$(layers_of "$tag" | sum_sizes)
  printf '%-7s %9s %9s %9s %9s %7sx %9s %9s %7sx %10s %10s %7s\n' "$tag" "$t_conv" "$c_conv" "$t_base" \
    "$c_base" "$(ratio "$t_conv" "$t_base")" "$t_again" "$c_again" "$(ratio "$t_again" "$t_base")" \
    "$(mb "$stored")" "$(mb "$gz")" "$(ratio "$stored" "$gz")"
done
echo "(seconds; ratio = blocklift / eager: below 1 is faster; stored = compressed + encrypted chunks"
echo " of that image alone, gzip = its layer blobs)"

echo
echo "corpus in one store vs the registry's unique gzip layers:"
rm -rf "$out/home"
uploaded=0
for tag in $tags; do
  j=$("$BENCH_ROOT/blocklift" convert --home "$out/home" "oci:$layout:$tag" --name "corpus/$tag:1" --json)
  uploaded=$((uploaded + $(json_field bytesUploaded <<<"$j")))
done
unique=$(for tag in $tags; do layers_of "$tag"; done | sort -u | sum_sizes)
printf '%-24s %12s %12s %8s\n' images "stored MB" "gzip MB" ratio
printf '%-24s %12s %12s %8s\n' "$(echo "$tags" | tr ' ' '+')" "$(mb "$uploaded")" "$(mb "$unique")" \
  "$(ratio "$uploaded" "$unique")"

echo
echo "derived image converted after its base (one store):"
rm -rf "$out/home"
base=$("$BENCH_ROOT/blocklift" convert --home "$out/home" "oci:$layout:base" --name corpus/base:1 --json)
printf '%-8s %10s %10s %10s %16s %16s\n' image chunks new present "uploaded MiB" "of stored MiB"
printf '%-8s %10s %10s %10s %16.1f %16.1f\n' base "$(json_field chunks <<<"$base")" "$(json_field new <<<"$base")" \
  "$(json_field alreadyPresent <<<"$base")" "$(awk -v b="$(json_field bytesUploaded <<<"$base")" 'BEGIN{print b/1048576}')" \
  "$(awk -v b="$(json_field storedBytes <<<"$base")" 'BEGIN{print b/1048576}')"
for tag in $tags; do
  [ "$tag" = base ] && continue
  j=$("$BENCH_ROOT/blocklift" convert --home "$out/home" "oci:$layout:$tag" --name "corpus/$tag:1" --json)
  printf '%-8s %10s %10s %10s %16.1f %16.1f\n' "$tag" "$(json_field chunks <<<"$j")" "$(json_field new <<<"$j")" \
    "$(json_field alreadyPresent <<<"$j")" "$(awk -v b="$(json_field bytesUploaded <<<"$j")" 'BEGIN{print b/1048576}')" \
    "$(awk -v b="$(json_field storedBytes <<<"$j")" 'BEGIN{print b/1048576}')"
done
rm -rf "$out"/unpack-* "$out"/mkfs-*.img "$out/home" "$out/home-again"
