#!/usr/bin/env bash
# Issue 6 benchmark: blocklift convert docker://… from a local registry (Debian's docker-registry on
# 127.0.0.1) vs the eager path skopeo copy → OCI layout + umoci unpack + mkfs.ext4 -d, same run.
source "$(dirname "$0")/lib.sh"
layout=$(corpus_layout)
"$BENCH_ROOT/blocklift" --version >/dev/null
out=$BENCH_WORK/registry; rm -rf "$out"; mkdir -p "$out/storage"
port=${BENCH_REGISTRY_PORT:-5077}
cat > "$out/config.yml" <<YML
version: 0.1
storage:
  filesystem:
    rootdirectory: $out/storage
http:
  addr: 127.0.0.1:$port
YML
docker-registry serve "$out/config.yml" >"$out/registry.log" 2>&1 &
reg=$!
trap 'kill $reg 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.2; done
tags=${BENCH_TAGS:-base python nginx}
for tag in $tags; do
  skopeo copy -q --dest-tls-verify=false "oci:$layout:$tag" "docker://127.0.0.1:$port/corpus/$tag:1"
done

bl_convert() {
  rm -rf "$out/home"
  "$BENCH_ROOT/blocklift" convert --home "$out/home" "docker://127.0.0.1:$port/corpus/$1:1" --name "corpus/$1:1" --json
}
eager() {
  rm -rf "$out/pulled"
  skopeo copy -q --src-tls-verify=false "docker://127.0.0.1:$port/corpus/$1:1" "oci:$out/pulled:$1"
  eager_baseline "$out/pulled:$1" "$out" "$1"
}
printf '%-8s %22s %34s %10s\n' image "blocklift convert s" "skopeo+umoci+mkfs.ext4 -d s" speedup
for tag in $tags; do
  t_bl=$(time_median bl_convert "$tag")
  t_eager=$(time_median eager "$tag")
  printf '%-8s %22s %34s %9sx\n' "$tag" "$t_bl" "$t_eager" "$(ratio "$t_eager" "$t_bl")"
done
rm -rf "$out/pulled" "$out"/unpack-* "$out/home"
