#!/usr/bin/env bash
# Worker start-up benchmark (issue 10). On the corpus images python and nginx, side by side in one
# run, with the store on the local disk and again on S3Proxy behind a proxy adding 20 ms to every
# request (DELAY_MS):
#  1. cold start through the worker: `blocklift run IMAGE -- CMD` handed to a running worker (the
#     launcher's shell client, no JVM per run) whose cache is empty and whose JIT first served an
#     unrelated image (64 MiB of random bytes, no chunk in common), page cache dropped; vs the eager
#     path (`umoci unpack` into a fresh dir + `runc run`) and the floor (`runc run` on the unpacked
#     rootfs, page cache dropped). Also the in-process `run --no-worker` for reference.
#  2. warm start: the same run again on the warm worker vs `runc run` on the unpacked rootfs (page
#     cache warm).
#  3. 20 concurrent cold `blocklift run`s through one worker: store GETs per unique chunk (counted
#     at the store by the worker) and the worker's RSS while the 20 mounts are live.
#   bench/worker.sh   (root; builds the corpus on first use; BENCH_TAGS, RUNS, CONCURRENT, DELAY_MS;
#                      BENCH_SECTIONS=3 runs the concurrent section alone)
source "$(dirname "$0")/lib.sh"
layout=$(corpus_layout)
bl=$BENCH_ROOT/blocklift
"$bl" --version >/dev/null   # builds the CLI before anything is timed
export BLOCKLIFT_NO_BUILD=1
out=$BENCH_WORK/worker; rm -rf "$out"; mkdir -p "$out/mnt"
home=$out/home cache=$out/cache sock=$out/worker.sock state=$out/state
concurrent=${CONCURRENT:-20} delay=${DELAY_MS:-20}
tags=${BENCH_TAGS:-python nginx}
declare -A cmd=([python]="python3 -c 'import json'" [nginx]="nginx -v" [base]="true")
export BLOCKLIFT_WORKER=$sock

# --- the stores: local (HOME/store) and S3Proxy behind the delaying proxy
cp_bench=$(cd "$BENCH_ROOT" && ./mvnw -q -B -ntp -o -pl bench -am compile dependency:build-classpath \
  -Dmdep.outputFile=/dev/stdout -Dspotless.check.skip=true 2>/dev/null | tail -1)
s3port=${BENCH_S3_PORT:-19570} dport=${BENCH_DELAY_PORT:-19571}
"$BENCH_JAVA" -cp "$BENCH_ROOT/bench/target/classes:$cp_bench" dev.blocklift.bench.S3ProxyMain \
  "$out/s3" "$s3port" bench >"$out/s3proxy.log" 2>&1 &
s3_pid=$!
"$BENCH_JAVA" -cp "$BENCH_ROOT/bench/target/classes" dev.blocklift.bench.DelayProxy "$dport" "$s3port" \
  "$delay" >"$out/delay.log" 2>&1 &
delay_pid=$!
worker_pid=
cleanup() {
  kill "$s3_pid" "$delay_pid" 2>/dev/null || true
  [ -z "$worker_pid" ] || { kill -TERM "$worker_pid" 2>/dev/null; wait "$worker_pid" 2>/dev/null; } || true
}
trap cleanup EXIT
for _ in $(seq 300); do grep -q "s3proxy on" "$out/s3proxy.log" 2>/dev/null && break; sleep 0.1; done
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret-key AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
s3_direct="s3://bench/corpus?endpoint=http://127.0.0.1:$s3port&path-style=true"
s3_delayed="s3://bench/corpus?endpoint=http://127.0.0.1:$dport&path-style=true"

for tag in $tags; do
  "$bl" convert --home "$home" "oci:$layout:$tag" --name "corpus/$tag:1" --json >/dev/null ||
    { echo "bench: convert of $tag failed" >&2; exit 1; }
  "$bl" convert --home "$home" --store "$s3_direct" "oci:$layout:$tag" --name "corpus/$tag:1" \
    --json >/dev/null || { echo "bench: convert of $tag to S3 failed" >&2; exit 1; }
done
# An image of 64 MiB of random bytes, no chunk in common with the corpus: serving it warms the
# worker's JIT (FUSE, SHA-256, AES-GCM) as a long-running worker's is.
l=$out/warm-oci b=$out/warm-bundle
umoci init --layout "$l" && umoci new --image "$l:warm" && umoci unpack --image "$l:warm" "$b" >/dev/null
head -c 64M /dev/urandom >"$b/rootfs/random.bin"
umoci repack --image "$l:warm" "$b" >/dev/null
for s in "" "$s3_direct"; do
  "$bl" convert --home "$home" ${s:+--store "$s"} "oci:$l:warm" --name bench/warm:1 --json >/dev/null
done

# --- the worker
worker_start() { # worker_start [STORE]: a fresh worker with an empty cache, JIT warmed
  worker_stop
  rm -rf "$cache"
  "$bl" worker --home "$home" --cache-dir "$cache" --socket "$sock" --state "$state" \
    --mount-root "$out/mnt" ${1:+--store "$1"} >"$out/worker.log" 2>&1 &
  worker_pid=$!
  for _ in $(seq 600); do
    grep -q "API on unix:" "$out/worker.log" 2>/dev/null && break
    kill -0 "$worker_pid" 2>/dev/null || { cat "$out/worker.log" >&2; return 1; }
    sleep 0.05
  done
  local m=$out/mnt/warm; mkdir -p "$m"
  api POST "mount?image=bench/warm:1&dir=$m&ro=true" && cat "$m/random.bin" >/dev/null &&
    api POST "umount?dir=$m"
}
worker_stop() {
  [ -n "$worker_pid" ] || return 0
  kill -TERM "$worker_pid" 2>/dev/null || true; wait "$worker_pid" 2>/dev/null || true; worker_pid=
}
api() { curl -fsS --unix-socket "$sock" -X "$1" "http://worker/$2" >/dev/null; }
metric() { curl -fsS --unix-socket "$sock" http://worker/metrics | awk -v m="$1" '$1 == m { print $2 }'; }
rss_mib() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$worker_pid/status"; }
hwm_mib() { awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$worker_pid/status"; }

# --- the paths being timed
bl_worker_run() { "$bl" run "corpus/$1:1" -- /bin/sh -c "${cmd[$1]}" </dev/null; }
bl_inproc_run() { # bl_inproc_run TAG [STORE]
  rm -rf "$cache"
  "$bl" run --no-worker --home "$home" --cache-dir "$cache" ${2:+--store "$2"} "corpus/$1:1" -- \
    /bin/sh -c "${cmd[$1]}" </dev/null
}
eager_bundle() { # eager_bundle TAG DIR: umoci's bundle, the command as its process
  rm -rf "$2"
  umoci unpack --image "$layout:$1" "$2" >/dev/null
  jq --arg c "${cmd[$1]}" '.process.args = ["/bin/sh", "-c", $c] | .process.terminal = false' \
    "$2/config.json" >"$2/config.json.new" && mv "$2/config.json.new" "$2/config.json"
}
eager_cold() { eager_bundle "$1" "$out/eager-$1" && runc run --bundle "$out/eager-$1" "bench-eager-$$" </dev/null; }
floor_run() { runc run --bundle "$out/eager-$1" "bench-floor-$$" </dev/null; }
timed() { local t0 t1; t0=$(now); "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; return 1; }; t1=$(now); elapsed "$t0" "$t1"; }
# median_of VAR SETUP CMD...: RUNS runs, SETUP before each (untimed, in this shell: it may start
# the worker), page cache dropped; the median seconds go into VAR.
median_of() {
  local var=$1 setup=$2; shift 2
  local f=$out/times; : >"$f"
  for _ in $(seq "${RUNS:-3}"); do eval "$setup"; drop_caches; timed "$@" >>"$f"; done
  printf -v "$var" '%s' "$(median <"$f")"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo
echo "1./2. start-up, seconds (median of ${RUNS:-3}); cold = empty cache + page cache dropped"
echo "      goals: worker cold <= 0.10x eager and <= 3x floor; worker warm <= 2x runc warm"
printf '%-7s %-8s %9s %9s %9s %8s %8s %10s %9s %9s %8s\n' image store "worker" "eager" "floor" \
  "/eager" "/floor" "no-worker" "wrk warm" "runc warm" "/runc"
for store in local s3+${delay}ms; do
  [ "${BENCH_SECTIONS:-123}" = 3 ] && break
  s=; [ "$store" = local ] || s=$s3_delayed
  for tag in $tags; do
    eager_bundle "$tag" "$out/eager-$tag"
    median_of t_worker "worker_start '$s'" bl_worker_run "$tag"
    bl_worker_run "$tag" >/dev/null 2>&1
    t_wwarm=$(for _ in $(seq "${RUNS:-3}"); do timed bl_worker_run "$tag"; done | median)
    worker_stop
    median_of t_eager "" eager_cold "$tag"
    median_of t_floor "" floor_run "$tag"
    floor_run "$tag" >/dev/null 2>&1
    t_rwarm=$(for _ in $(seq "${RUNS:-3}"); do timed floor_run "$tag"; done | median)
    median_of t_inproc "" bl_inproc_run "$tag" "$s"
    printf '%-7s %-8s %9s %9s %9s %8s %8s %10s %9s %9s %8s\n' "$tag" "$store" "$t_worker" \
      "$t_eager" "$t_floor" "$(ratio "$t_worker" "$t_eager")" "$(ratio "$t_worker" "$t_floor")" \
      "$t_inproc" "$t_wwarm" "$t_rwarm" "$(ratio "$t_wwarm" "$t_rwarm")"
  done
done

echo
echo "3. $concurrent concurrent cold runs through one worker (goal: 1.00 store GETs per unique chunk)"
printf '%-7s %-8s %12s %16s %14s %14s %9s\n' image store "wall s" "GETs/chunks" "RSS live MiB" "RSS peak MiB" "failed"
for store in local s3+${delay}ms; do
  s=; [ "$store" = local ] || s=$s3_delayed
  for tag in $tags; do
    worker_start "$s"
    g0=$(metric blocklift_store_gets_total); u0=$(metric blocklift_store_distinct_chunks)
    drop_caches
    t0=$(now); pids=()
    for i in $(seq "$concurrent"); do
      "$bl" run "corpus/$tag:1" -- /bin/sh -c "${cmd[$tag]} >/dev/null 2>&1; sleep 3" </dev/null \
        >/dev/null 2>&1 & pids+=($!)
    done
    # While the runs sleep, all their mounts are live: sample the worker's RSS then.
    live=0
    for _ in $(seq 200); do
      n=$(curl -fsS --unix-socket "$sock" http://worker/mounts | jq length)
      [ "$n" -ge "$concurrent" ] && { live=$(rss_mib); break; }
      sleep 0.05
    done
    fails=0; for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
    t1=$(now)
    g=$(( $(metric blocklift_store_gets_total) - g0 )); u=$(( $(metric blocklift_store_distinct_chunks) - u0 ))
    printf '%-7s %-8s %12s %16s %14s %14s %9s\n' "$tag" "$store" "$(elapsed "$t0" "$t1")" \
      "$(awk -v g="$g" -v u="$u" 'BEGIN { printf "%d/%d = %.2f", g, u, u ? g / u : 0 }')" \
      "$live" "$(hwm_mib)" "$fails"
    worker_stop
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$out"/eager-* "$out/mnt"
