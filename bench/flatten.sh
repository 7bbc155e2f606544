#!/usr/bin/env bash
# Issue 2 benchmark: blocklift flatten vs the eager baseline (umoci unpack + mkfs.ext4 -d) on the
# corpus, and the share of the base image's non-zero 512 KiB chunks that reappear in each derived
# image, for both. Each time is the median of RUNS (default 3) runs with a cold page cache.
#   bench/flatten.sh            (root; builds the corpus on first use)
# BLOCKLIFT_CP=CLASSPATH runs the CLI from that classpath instead of the ./blocklift launcher
# (e.g. cli/target/classes:cli/target/lib/* while other modules are mid-edit).
source "$(dirname "$0")/lib.sh"
layout=$(corpus_layout)
tags=${BENCH_TAGS:-base python nginx}
cp=$(bench_classpath)
bl() {
  if [ -n "${BLOCKLIFT_CP:-}" ]; then
    "$BENCH_JAVA" --enable-native-access=ALL-UNNAMED -cp "$BLOCKLIFT_CP" dev.blocklift.cli.Main "$@"
  else
    "$BENCH_ROOT/blocklift" "$@"
  fi
}
bl --version >/dev/null   # builds the CLI before anything is timed
out=$BENCH_WORK/flatten; mkdir -p "$out"

printf '%-8s %12s %12s %10s %14s\n' image "blocklift s" "baseline s" "speedup" "image MiB"
for tag in $tags; do
  t_bl=$(time_median bl flatten "oci:$layout:$tag" -o "$out/bl-$tag.img")
  t_base=$(time_median eager_baseline "oci:$layout:$tag" "$out" "$tag")
  mib=$(du -sm "$out/bl-$tag.img" | cut -f1)
  printf '%-8s %12s %12s %9sx %14s\n' "$tag" "$t_bl" "$t_base" "$(ratio "$t_base" "$t_bl")" "$mib"
done

echo
echo "share of the base image's non-zero 512 KiB chunks found in the derived image:"
printf '%-8s %24s %24s\n' derived blocklift "mkfs.ext4 -d"
for tag in $tags; do
  [ "$tag" = base ] && continue
  bl=$("$BENCH_JAVA" -cp "$cp" dev.blocklift.bench.ChunkOverlap "$out/bl-base.img" "$out/bl-$tag.img" | awk '{print $2" "$3}')
  mk=$("$BENCH_JAVA" -cp "$cp" dev.blocklift.bench.ChunkOverlap "$out/mkfs-base.img" "$out/mkfs-$tag.img" | awk '{print $2" "$3}')
  printf '%-8s %24s %24s\n' "$tag" "$bl" "$mk"
done
rm -rf "$out"/unpack-*
