#!/usr/bin/env bash
# Issue 3 benchmark: blocklift convert (flatten + chunk + encrypt + upload to a local store) on the
# corpus, against (a) this CPU's raw crypto throughput measured in the same run and (b) the eager
# baseline umoci unpack + mkfs.ext4 -d; then the bytes uploaded when a derived image is converted
# after its base. Fresh home (keyring, store) per run; cold page cache.
source "$(dirname "$0")/lib.sh"
layout=$(corpus_layout)
"$BENCH_ROOT/blocklift" --version >/dev/null
cli_cp="$BENCH_ROOT/cli/target/classes:$BENCH_ROOT/cli/target/lib/*"
out=$BENCH_WORK/convert; mkdir -p "$out"

echo "raw crypto on this CPU (one core, MB per CPU-second):"
"$BENCH_JAVA" -cp "$cli_cp" dev.blocklift.chunk.ChunkCryptoBench --warmup 2 --seconds 2
echo

convert_fresh() { # convert_fresh TAG: a fresh home each time, so every chunk is new
  rm -rf "$out/home"
  "$BENCH_ROOT/blocklift" --version >/dev/null
  "$BENCH_ROOT/blocklift" convert --home "$out/home" "oci:$layout:$1" --name "corpus/$1:1" --json
}
printf '%-8s %12s %12s %10s %12s %12s\n' image "convert s" "baseline s" "speedup" "data MB" "MB/s"
for tag in ${BENCH_TAGS:-base python nginx}; do
  t_conv=$(time_median convert_fresh "$tag")
  t_base=$(time_median eager_baseline "$layout:$tag" "$out" "$tag")
  json=$(convert_fresh "$tag")
  data=$(json_field dataBytes <<<"$json")
  printf '%-8s %12s %12s %9sx %12.1f %12.1f\n' "$tag" "$t_conv" "$t_base" "$(ratio "$t_base" "$t_conv")" \
    "$(awk -v d="$data" 'BEGIN{print d/1e6}')" "$(awk -v d="$data" -v t="$t_conv" 'BEGIN{print d/1e6/t}')"
done

echo
echo "derived image converted after its base (one store):"
rm -rf "$out/home"
base=$("$BENCH_ROOT/blocklift" convert --home "$out/home" "oci:$layout:base" --name corpus/base:1 --json)
printf '%-8s %10s %10s %10s %16s %16s\n' image chunks new present "uploaded MiB" "of stored MiB"
printf '%-8s %10s %10s %10s %16.1f %16.1f\n' base "$(json_field chunks <<<"$base")" "$(json_field new <<<"$base")" \
  "$(json_field alreadyPresent <<<"$base")" "$(awk -v b="$(json_field bytesUploaded <<<"$base")" 'BEGIN{print b/1048576}')" \
  "$(awk -v b="$(json_field bytesUploaded <<<"$base")" 'BEGIN{print b/1048576}')"
for tag in python nginx; do
  j=$("$BENCH_ROOT/blocklift" convert --home "$out/home" "oci:$layout:$tag" --name "corpus/$tag:1" --json)
  n=$(json_field new <<<"$j"); p=$(json_field alreadyPresent <<<"$j")
  up=$(json_field bytesUploaded <<<"$j")
  printf '%-8s %10s %10s %10s %16.1f %16.1f\n' "$tag" "$(json_field chunks <<<"$j")" "$n" "$p" \
    "$(awk -v b="$up" 'BEGIN{print b/1048576}')" "$(awk -v n="$n" -v p="$p" 'BEGIN{print (n+p)*0.5}')"
done
rm -rf "$out"/unpack-* "$out/home"
