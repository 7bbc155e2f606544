#!/usr/bin/env bash
# Issue 4 benchmark: worker cold start. On the corpus images python and nginx:
#  1. cold start (local cache emptied, page cache dropped): `blocklift run IMAGE -- CMD` vs the eager
#     path (`umoci unpack` into a fresh dir + `runc run` of the same command); warm start: blocklift
#     run with a warm cache vs runc on the already unpacked rootfs. Median of RUNS (default 3).
#  2. bytes the chunk store returned as a share of the image's stored data, store GETs, chunk
#     fetches (from `blocklift run --stats-json`).
#  3. the agent path: one `blocklift agent` (warm JVM, empty cache) mounting the image and runc
#     running the command on the mount, once on a freshly started agent and once on an agent whose
#     JIT a long-running worker would have warmed (it first served an unrelated image of random
#     bytes, which shares no chunk with the corpus; page cache dropped after); and 20 concurrent cold starts of one image through that one
#     agent (one shared cache): store GETs per unique chunk, counted at the store by the agent.
#  4. the chunk traces of these runs (`run --trace`, `agent --trace`) replayed through the cache
#     simulator with its scan-heavy synthetic trace: hit rate per policy and cache size.
#   bench/worker.sh   (root; builds the corpus on first use; BENCH_TAGS=python|nginx to narrow)
source "$(dirname "$0")/lib.sh"
layout=$(corpus_layout)
bl=$BENCH_ROOT/blocklift
"$bl" --version >/dev/null   # builds the CLI before anything is timed
out=$BENCH_WORK/worker; rm -rf "$out"; mkdir -p "$out"
home=$out/home cache=$out/cache port=${BENCH_AGENT_PORT:-7499} concurrent=${CONCURRENT:-20}
tags=${BENCH_TAGS:-python nginx}
declare -A cmd=([python]="python3 -c 'import json'" [nginx]="nginx -v" [base]="true")

for tag in $tags; do
  "$bl" convert --home "$home" "oci:$layout:$tag" --name "corpus/$tag:1" --json >/dev/null ||
    { echo "bench: convert of $tag failed" >&2; exit 1; }
done

# An OCI bundle from umoci (config from the image config) whose process runs CMD, no terminal.
eager_bundle() { # eager_bundle TAG DIR
  rm -rf "$2"
  umoci unpack --image "$layout:$1" "$2" >/dev/null
  set_args "$2/config.json" "$1"
}
set_args() { # set_args CONFIG TAG
  jq --arg c "${cmd[$2]}" '.process.args = ["/bin/sh", "-c", $c] | .process.terminal = false' \
    "$1" >"$1.new" && mv "$1.new" "$1"
}
eager_cold() { eager_bundle "$1" "$out/eager-$1" && runc run --bundle "$out/eager-$1" "bench-eager-$$" </dev/null; }
eager_warm() { runc run --bundle "$out/eager-$1" "bench-eager-$$" </dev/null; }
bl_run() { # bl_run TAG [run options]
  local tag=$1; shift
  "$bl" run --home "$home" --cache-dir "$cache" "$@" "corpus/$tag:1" -- /bin/sh -c "${cmd[$tag]}" </dev/null
}
warm_median() { # like time_median, without dropping the page cache
  local runs=${RUNS:-3} t0 t1
  for _ in $(seq "$runs"); do
    t0=$(now); "$@" >/dev/null 2>&1 || { echo "bench: command failed: $*" >&2; return 1; }; t1=$(now)
    elapsed "$t0" "$t1"
  done | median
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
# Warm-up (the launcher's first-run CDS archive), recording each image's start-up trace for the
# "+ prefetch" column (run --prefetch TRACE: fetch what the recorded start read, while mounting).
for tag in $tags; do
  rm -rf "$cache"
  bl_run "$tag" --trace "$out/startup-$tag.trace" >/dev/null 2>"$out/warmup.err" ||
    { echo "bench: warm-up run of $tag failed:" >&2; cat "$out/warmup.err" >&2; exit 1; }
done

echo
echo "1. start-up, seconds (median of ${RUNS:-3}); ratio = blocklift / baseline (goal cold <= 0.15)"
printf '%-8s %-26s %10s %10s %8s %12s %8s %10s %10s %8s\n' image command "bl cold" "eager" ratio \
  "+ prefetch" ratio "bl warm" "runc warm" ratio
for tag in $tags; do
  t_cold=$(BENCH_SETUP="rm -rf '$cache'" time_median bl_run "$tag")
  t_pref=$(BENCH_SETUP="rm -rf '$cache'" time_median bl_run "$tag" --prefetch "$out/startup-$tag.trace")
  t_eager=$(time_median eager_cold "$tag")
  bl_run "$tag" >/dev/null 2>&1
  t_warm=$(warm_median bl_run "$tag")
  t_rwarm=$(warm_median eager_warm "$tag")
  printf '%-8s %-26s %10s %10s %8s %12s %8s %10s %10s %8s\n' "$tag" "${cmd[$tag]}" "$t_cold" \
    "$t_eager" "$(ratio "$t_cold" "$t_eager")" "$t_pref" "$(ratio "$t_pref" "$t_eager")" \
    "$t_warm" "$t_rwarm" "$(ratio "$t_warm" "$t_rwarm")"
done

echo
echo "2. one cold run: what it read (goal: store bytes <= 15% of the image's stored data)"
printf '%-8s %9s %9s %9s %9s %11s %11s %8s  %s\n' image "main s" "opened s" "mounted s" "exited s" \
  "image MiB" "store MiB" share "store GETs / chunk fetches / reads"
for tag in $tags; do
  rm -rf "$cache"; drop_caches
  bl_run "$tag" --stats-json "$out/stats-$tag.json" --trace "$out/run-$tag.trace" >/dev/null 2>&1
  s=$out/stats-$tag.json
  printf '%-8s %9s %9s %9s %9s %11.1f %11.1f %7.1f%%  %s / %s / %s\n' "$tag" \
    "$(jq .mainStartedSeconds "$s")" "$(jq .openedSeconds "$s")" "$(jq .mountedSeconds "$s")" \
    "$(jq .containerExitedSeconds "$s")" "$(jq '.imageDataBytes / 1048576' "$s")" \
    "$(jq '.storeBytes / 1048576' "$s")" "$(jq '.storeBytesShareOfImage * 100' "$s")" \
    "$(jq .storeGets "$s")" "$(jq .chunkFetches "$s")" "$(jq .chunkReads "$s")"
done

# The agent: one warm JVM, one shared cache (emptied), serving mounts the bench runs runc on.
agent_start() { # agent_start TRACE
  rm -rf "$cache" "$out/mnt"; mkdir -p "$out/mnt"
  "$bl" agent --home "$home" --cache-dir "$cache" --listen "$port" --trace "$1" >"$out/agent.log" 2>&1 &
  agent_pid=$!
  for _ in $(seq 300); do
    grep -q "listening" "$out/agent.log" 2>/dev/null && return 0
    kill -0 "$agent_pid" 2>/dev/null || { cat "$out/agent.log" >&2; return 1; }
    sleep 0.1
  done
  echo "bench: the agent did not start" >&2; return 1
}
agent_stop() { kill -TERM "$agent_pid"; wait "$agent_pid" 2>/dev/null || true; }
api() { curl -fsS -X POST "http://127.0.0.1:$port/$1" >/dev/null; }
metric() { curl -fsS "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
# An image of 64 MiB of random bytes: no chunk in common with the corpus. Reading it through an
# agent exercises FUSE, SHA-256 and AES-GCM as a worker that has served other images has done.
make_warm_image() {
  local l=$out/warm-oci b=$out/warm-bundle
  rm -rf "$l" "$b"
  umoci init --layout "$l" && umoci new --image "$l:warm" &&
    umoci unpack --image "$l:warm" "$b" >/dev/null &&
    head -c 64M /dev/urandom >"$b/rootfs/random.bin" &&
    umoci repack --image "$l:warm" "$b" >/dev/null &&
    "$bl" convert --home "$home" "oci:$l:warm" --name bench/warm:1 --json >/dev/null
}
agent_warm_up() {
  local m=$out/mnt/warm
  mkdir -p "$m"
  api "mount?image=bench/warm:1&dir=$m&ro=true"
  cat "$m/random.bin" >/dev/null
  api "umount?dir=$m"
}
agent_start_one() { # agent_start_one TAG I: mount, runc run, umount
  local b=$out/mnt/b$2
  mkdir -p "$b/rootfs"
  api "mount?image=corpus/$1:1&dir=$b/rootfs&ro=true"
  jq '.root.path = "rootfs" | .root.readonly = true' "$out/eager-$1/config.json" >"$b/config.json"
  local rc=0
  runc run --bundle "$b" "bench-agent-$$-$2" </dev/null >/dev/null 2>&1 || rc=$?
  api "umount?dir=$b/rootfs"
  return $rc
}

echo
echo "3. the agent path (agent JVM already running, cache empty, page cache dropped): mount + runc run + umount"
echo "   fresh = agent just started; warmed = agent first served an unrelated image (no shared chunk)"
printf '%-8s %12s %12s %12s %8s %8s %22s %12s\n' image "agent fresh" "agent warmed" "eager cold" \
  ratio ratio "$concurrent concurrent, s" "GETs/chunk"
make_warm_image || { echo "bench: could not build the warm-up image" >&2; exit 1; }
for tag in $tags; do
  eager_bundle "$tag" "$out/eager-$tag"
  agent_start "$out/agent1-$tag.trace"
  drop_caches
  t0=$(now); agent_start_one "$tag" 0; t1=$(now)
  t_agent=$(elapsed "$t0" "$t1")
  agent_stop
  agent_start "$out/agent-warmed-$tag.trace"
  agent_warm_up
  drop_caches
  t0=$(now); agent_start_one "$tag" 0; t1=$(now)
  t_warmed=$(elapsed "$t0" "$t1")
  agent_stop
  t_eager=$(time_median eager_cold "$tag")
  agent_start "$out/agent$concurrent-$tag.trace"
  drop_caches
  t0=$(now)
  pids=()
  for i in $(seq "$concurrent"); do agent_start_one "$tag" "$i" & pids+=($!); done
  fails=0
  for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
  t1=$(now)
  gets=$(metric blocklift_store_gets_total); uniq=$(metric blocklift_store_distinct_chunks)
  agent_stop
  [ "$fails" = 0 ] || echo "bench: $fails of $concurrent concurrent starts failed" >&2
  printf '%-8s %12s %12s %12s %8s %8s %22s %12s\n' "$tag" "$t_agent" "$t_warmed" "$t_eager" \
    "$(ratio "$t_agent" "$t_eager")" "$(ratio "$t_warmed" "$t_eager")" "$(elapsed "$t0" "$t1")" "$(awk -v g="$gets" -v u="$uniq" 'BEGIN { printf "%d/%d = %.2f", g, u, u ? g / u : 0 }')"
done

echo
echo "4. recorded chunk traces replayed through the cache simulator (+ its scan-heavy synthetic trace)"
traces=()
for t in "$out"/run-*.trace "$out"/agent"$concurrent"-*.trace; do [ -s "$t" ] && traces+=(--trace "$t"); done
cli_cp="$BENCH_ROOT/cli/target/classes:$BENCH_ROOT/cli/target/lib/*"
"$BENCH_JAVA" -cp "$cli_cp" dev.blocklift.cache.sim.Simulator "${traces[@]}" --synthetic scan \
  --sizes 10%,25%,50%,75% 2>/dev/null
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$out"/eager-* "$out/mnt"
