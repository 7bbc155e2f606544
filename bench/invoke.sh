#!/usr/bin/env bash
# Function invoke benchmark (issue 14). On the test function images of
# dev.blocklift.testing.FunctionImages (a busybox+curl shell custom runtime; a Java function on
# AWS's runtime interface client 2.10.1 with a jlinked JRE), packed as one OCI layout by
# dev.blocklift.bench.FunctionLayouts and converted with `blocklift convert oci:LAYOUT:TAG`; side by
# side in one run:
#  1. cold invoke of the Java function: a freshly created function invoked over the worker's socket
#     (curl, request to response) on a worker whose caches are empty, page cache dropped; the
#     worker's JIT first warmed as a long-running worker's is (a 64 MiB random image, no chunk in
#     common, read through a mount), and again on a worker just started; then a second fresh
#     function of the same image on that worker (a new sandbox, chunks cached). Vs the eager path (`umoci unpack` of the same image into a
#     fresh dir + `runc run` of the function handling one event from a one-shot Runtime API,
#     dev.blocklift.bench.OneShotRuntimeApi, on 127.0.0.1:PORT of the host network) and the floor
#     (that `runc run` on the unpacked rootfs, page cache dropped). Store GETs and bytes from the
#     worker's blocklift_store_* metrics; Init Duration and Duration from the REPORT line of the log
#     tail (X-Amz-Log-Type: Tail).
#  2. warm invoke round trips through the Invoke API (dev.blocklift.bench.InvokeLatency: one
#     keep-alive HTTP/1.1 connection on the unix socket), WARM_INVOKES sequential invokes of the
#     shell `echo` function and of the Java echo function: round trip vs the function's Duration
#     (REPORT), and the overhead (round trip - Duration, per invoke).
#  3. CONCURRENT concurrent cold invokes of the shell function (reserved concurrency CONCURRENT,
#     handler `sleep`, 2 s, so all overlap) on a worker with empty caches: sandboxes created, store
#     GETs per unique chunk; then CONCURRENT more, all warm.
#   bench/invoke.sh   (root; RUNS (3), WARM_INVOKES (1000), WARM_WARMUP (100), CONCURRENT (20),
#                      JAVA_MEMORY_MIB (512), BENCH_RUNTIME_PORT (19590))
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "bench/invoke.sh needs root (runc, loop and FUSE mounts)" >&2; exit 1; }
runs=${RUNS:-3} warm_n=${WARM_INVOKES:-1000} warmup=${WARM_WARMUP:-100}
concurrent=${CONCURRENT:-20} java_mem=${JAVA_MEMORY_MIB:-512} rt_port=${BENCH_RUNTIME_PORT:-19590}
bl=$BENCH_ROOT/blocklift
"$bl" --version >/dev/null   # builds the CLI before anything is timed
export BLOCKLIFT_NO_BUILD=1
out=$BENCH_WORK/invoke; rm -rf "$out"; mkdir -p "$out/mnt"
home=$out/home cache=$out/cache sock=$out/worker.sock state=$out/state
layout=$out/functions-oci
api_path=/2015-03-31/functions
java_event='{"bench":"invoke","n":1}'

(cd "$BENCH_ROOT" && ./mvnw -q -B -ntp -o -pl bench -am compile dependency:build-classpath \
  -Dmdep.outputFile="$out/classpath" -Dspotless.check.skip=true >"$out/build.log" 2>&1) ||
  { cat "$out/build.log" >&2; exit 1; }
cp_bench=$BENCH_ROOT/bench/target/classes:$(cat "$out/classpath")
bench_java() { "$BENCH_JAVA" -cp "$cp_bench" "$@"; }

worker_pid= rt_pid= client_pid= eager_ids=()
cleanup() {
  [ -z "$client_pid" ] || { kill "$client_pid" 2>/dev/null; wait "$client_pid" 2>/dev/null; } || true
  [ -z "$rt_pid" ] || { kill "$rt_pid" 2>/dev/null; wait "$rt_pid" 2>/dev/null; } || true
  for id in "${eager_ids[@]}"; do runc delete -f "$id" >/dev/null 2>&1 || true; done
  [ -z "$worker_pid" ] || { kill -TERM "$worker_pid" 2>/dev/null; wait "$worker_pid" 2>/dev/null; } || true
}
trap cleanup EXIT
trap 'exit 143' INT TERM

show() { # prints a command line as it could be pasted
  local a s='  $'
  for a in "$@"; do
    case $a in *[!A-Za-z0-9_./:=@%+,-]*) s+=" '${a//\'/\'\\\'\'}'" ;; *) s+=" $a" ;; esac
  done
  echo "$s"
}

# --- the images: OCI layout (FunctionImages' trees), converted into HOME's local store
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "commands (BENCH_CP = bench/target/classes + the bench module's class path, $out/classpath):"
show "$BENCH_JAVA" -cp '$BENCH_CP' dev.blocklift.bench.FunctionLayouts "$layout" "$out/trees"
bench_java dev.blocklift.bench.FunctionLayouts "$layout" "$out/trees" >"$out/layouts.log" 2>&1 ||
  { cat "$out/layouts.log" >&2; exit 1; }
rm -rf "$out/trees"
for t in shell java; do
  show "$bl" convert --home "$home" "oci:$layout:$t" --name "fn/$t:1" --json
  "$bl" convert --home "$home" "oci:$layout:$t" --name "fn/$t:1" --json >"$out/convert-$t.json" ||
    { echo "bench: convert of $t failed" >&2; exit 1; }
done
# The JIT warm-up image: 64 MiB of random bytes, no chunk in common with the functions.
l=$out/warm-oci b=$out/warm-bundle
umoci init --layout "$l" && umoci new --image "$l:warm" && umoci unpack --image "$l:warm" "$b" >/dev/null
head -c 64M /dev/urandom >"$b/rootfs/random.bin"
umoci repack --image "$l:warm" "$b" >/dev/null
rm -rf "$b"
"$bl" convert --home "$home" "oci:$l:warm" --name bench/warm:1 --json >/dev/null

# --- the worker
worker_cmd=("$bl" worker --home "$home" --cache-dir "$cache" --socket "$sock" --state "$state"
  --mount-root "$out/mnt" --unmount-on-exit)
show "${worker_cmd[@]}"
worker_start() { # worker_start [warm]: a fresh worker, cache empty; "warm" warms its JIT
  worker_stop
  rm -rf "$cache"
  "${worker_cmd[@]}" >"$out/worker.log" 2>&1 &
  worker_pid=$!
  for _ in $(seq 600); do
    grep -q "API on unix:" "$out/worker.log" 2>/dev/null && break
    kill -0 "$worker_pid" 2>/dev/null || { cat "$out/worker.log" >&2; return 1; }
    sleep 0.05
  done
  [ "${1:-}" = warm ] || return 0
  local m=$out/mnt/warm; mkdir -p "$m"
  wapi POST "/mount?image=bench/warm:1&dir=$m&ro=true" && cat "$m/random.bin" >/dev/null &&
    wapi POST "/umount?dir=$m"
}
worker_stop() {
  [ -n "$worker_pid" ] || return 0
  kill -TERM "$worker_pid" 2>/dev/null || true; wait "$worker_pid" 2>/dev/null || true; worker_pid=
}
wapi() { curl -fsS --unix-socket "$sock" -X "$1" "http://worker$2" >/dev/null; }
# create NAME IMAGE HANDLER MEMORY_MIB TIMEOUT_S [CONCURRENCY]: CreateFunction (Lambda's JSON)
create() {
  local body
  body=$(jq -nc --arg n "$1" --arg i "$2" --arg h "$3" --argjson m "$4" --argjson t "$5" \
    --argjson c "${6:-null}" '{FunctionName: $n, PackageType: "Image", Code: {ImageUri: $i},
      MemorySize: $m, Timeout: $t, ImageConfig: {Command: [$h]}}
      + (if $c == null then {} else {ReservedConcurrentExecutions: $c} end)')
  curl -fsS --unix-socket "$sock" -H 'Content-Type: application/json' --data-binary "$body" \
    "http://worker$api_path"
}
# invoke NAME PAYLOAD PREFIX: one invoke, log tail asked; PREFIX.headers, PREFIX.body
invoke() {
  curl -fsS --unix-socket "$sock" -H 'Content-Type: application/json' -H 'X-Amz-Log-Type: Tail' \
    -D "$3.headers" -o "$3.body" --data-binary "$2" "http://worker$api_path/$1/invocations"
}
log_tail() { tr -d '\r' <"$1.headers" | awk -F': ' 'tolower($1) == "x-amz-log-result" { print $2 }' | base64 -d; }
report_field() { log_tail "$1" | grep -o "	$2: [0-9.]* ms" | head -1 | sed 's/.*: //; s/ ms//'; }
stats() { "$bl" stats --worker "$sock" >"$out/stats.txt"; }
metric() { awk -v m="$1" '$1 == m { print $2 }' "$out/stats.txt"; }

# --- the eager path and the floor: umoci's bundle, Lambda's environment, host network
eager_config() { # eager_config BUNDLE
  jq --arg api "127.0.0.1:$rt_port" --argjson mem "$((java_mem << 20))" --arg memmib "$java_mem" '
    .process.terminal = false
    | .process.env += ["AWS_LAMBDA_RUNTIME_API=" + $api, "AWS_LAMBDA_FUNCTION_NAME=eager",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + $memmib, "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE=on-demand", "AWS_REGION=us-east-1", "TZ=:UTC"]
    | .linux.namespaces |= map(select(.type != "network"))
    | .linux.resources.memory.limit = $mem' "$1/config.json" >"$1/config.json.new" &&
    mv "$1/config.json.new" "$1/config.json"
}
rt_start() { # the one-shot Runtime API, listening before anything is timed
  rm -f "$out/rt.out"
  bench_java dev.blocklift.bench.OneShotRuntimeApi "$rt_port" "$java_event" "$out/rt.out" \
    >"$out/rt.log" 2>&1 &
  rt_pid=$!
  for _ in $(seq 300); do grep -q listening "$out/rt.log" 2>/dev/null && return 0; sleep 0.05; done
  cat "$out/rt.log" >&2; return 1
}
# rt_wait T0: waits for the response; prints "SECONDS HANDLER_MS" (seconds since T0)
rt_wait() {
  for _ in $(seq 1200); do
    grep -q '^response\|^error' "$out/rt.out" 2>/dev/null && break; sleep 0.01
  done
  grep -q '^response' "$out/rt.out" || { echo "bench: eager run failed: $(cat "$out/rt.out" 2>/dev/null)" >&2; return 1; }
  awk -v t0="$1" '/^response/ { printf "%.3f %s\n", $2 - t0, $3 }' "$out/rt.out"
}
# runc_one BUNDLE ID T0: runc run of the function until its one event is answered
runc_one() {
  eager_ids+=("$2")
  runc run --bundle "$1" "$2" </dev/null >"$out/runc-$2.log" 2>&1 &
  local rp=$! r
  r=$(rt_wait "$3") || { runc kill "$2" KILL >/dev/null 2>&1; wait "$rp"; return 1; }
  # The runtime exits on its own once the one-shot API is gone; make sure.
  wait "$rt_pid" 2>/dev/null || true; rt_pid=
  runc kill "$2" KILL >/dev/null 2>&1 || true
  wait "$rp" 2>/dev/null || true
  runc delete -f "$2" >/dev/null 2>&1 || true
  echo "$r"
}
eager_once() { # prints "SECONDS HANDLER_MS"
  local d=$out/eager t0
  rm -rf "$d"; rt_start; drop_caches
  t0=$(now)
  umoci unpack --image "$layout:java" "$d" >/dev/null && eager_config "$d" &&
    runc_one "$d" "bench-inv-eager-$$-$1" "$t0"
}
floor_once() {
  local t0
  rt_start; drop_caches
  t0=$(now)
  runc_one "$out/floor" "bench-inv-floor-$$-$1" "$t0"
}

# timed_invoke NAME PREFIX: one invoke of the Java function, page cache dropped first; prints
# "SECONDS INIT_MS DURATION_MS"
timed_invoke() {
  local t0 t1
  drop_caches
  t0=$(now); invoke "$1" "$java_event" "$2" || { echo "bench: invoke of $1 failed" >&2; return 1; }; t1=$(now)
  cmp -s <(printf '%s' "$java_event") "$2.body" ||
    { echo "bench: $1 answered $(cat "$2.body")" >&2; return 1; }
  echo "$(elapsed "$t0" "$t1") $(report_field "$2" "Init Duration") $(report_field "$2" Duration)"
}
# cold_once N warm|fresh: a fresh worker (its JIT warmed or not), a fresh function, one invoke;
# then a second fresh function of the same image (a new sandbox, its chunks in the worker's
# cache). Prints "SECONDS INIT_MS DURATION_MS GETS BYTES SECONDS2 INIT_MS2"
cold_once() {
  worker_start "$2" >/dev/null
  local name=java-cold-$1-$2 g0 b0 first again handler
  handler=$(jq -r '.config.Cmd[0]' <<<"$java_cfg")
  create "$name" fn/java:1 "$handler" "$java_mem" 60 >/dev/null
  create "$name-again" fn/java:1 "$handler" "$java_mem" 60 >/dev/null
  stats; g0=$(metric blocklift_store_gets_total); b0=$(metric blocklift_store_get_bytes_total)
  first=$(timed_invoke "$name" "$out/cold")
  stats
  log_tail "$out/cold" >"$out/cold-$1-$2.log"
  again=$(timed_invoke "$name-again" "$out/again")
  echo "$first $(( $(metric blocklift_store_gets_total) - g0 ))" \
    "$(( $(metric blocklift_store_get_bytes_total) - b0 )) $(cut -d' ' -f1,2 <<<"$again")"
  wapi DELETE "$api_path/$name"; wapi DELETE "$api_path/$name-again"
  worker_stop
}
col() { awk -v c="$1" '{ print $c }' "$2" | median; }

java_cfg=$(cat "$layout/blobs/sha256/$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "java") | .digest' "$layout/index.json" | cut -d: -f2)")
java_cfg=$(cat "$layout/blobs/sha256/$(jq -r '.config.digest' <<<"$java_cfg" | cut -d: -f2)")
show curl --unix-socket "$sock" -H 'Content-Type: application/json' -H 'X-Amz-Log-Type: Tail' \
  --data-binary "$java_event" "http://worker$api_path/java-cold-N-warm/invocations"
show "$bl" stats --worker "$sock"
show umoci unpack --image "$layout:java" "$out/eager"
show runc run --bundle "$out/eager" bench-inv-eager-N
echo "  (bundle: umoci's config.json, process.terminal false, the host network, memory limit" \
  "${java_mem} MiB, Lambda's environment with AWS_LAMBDA_RUNTIME_API=127.0.0.1:$rt_port)"
show "$BENCH_JAVA" -cp '$BENCH_CP' dev.blocklift.bench.OneShotRuntimeApi "$rt_port" "$java_event" "$out/rt.out"

# --- 1. cold invoke of the Java function
echo
echo "1. cold invoke of the Java function ($runs runs, median; page cache dropped before each)"
umoci unpack --image "$layout:java" "$out/floor" >/dev/null && eager_config "$out/floor"
image_mib=$(du -sk --apparent-size "$out/floor/rootfs" | awk '{ printf "%.1f", $1 / 1024 }')
: >"$out/cold-warm" >"$out/cold-fresh" >"$out/eager-times" >"$out/floor-times"
for r in $(seq "$runs"); do
  cold_once "$r" warm >>"$out/cold-warm"
  cold_once "$r" fresh >>"$out/cold-fresh"
  eager_once "$r" >>"$out/eager-times"
  floor_once "$r" >>"$out/floor-times"
done
printf '  %-5s %-34s %s\n' run path \
  "seconds init_ms duration_ms store_gets store_bytes | again: seconds init_ms" \
  "" "" "(eager, floor: seconds handler_ms)"
for r in $(seq "$runs"); do
  printf '  %-5s %-34s %s\n' "$r" "blocklift (worker JIT warmed)" "$(sed -n "${r}p" "$out/cold-warm")"
  printf '  %-5s %-34s %s\n' "$r" "blocklift (worker just started)" "$(sed -n "${r}p" "$out/cold-fresh")"
  printf '  %-5s %-34s %s\n' "$r" "eager: umoci unpack + runc run" "$(sed -n "${r}p" "$out/eager-times")"
  printf '  %-5s %-34s %s\n' "$r" "floor: runc run, unpacked" "$(sed -n "${r}p" "$out/floor-times")"
done
c_s=$(col 1 "$out/cold-warm") c_init=$(col 2 "$out/cold-warm") c_dur=$(col 3 "$out/cold-warm")
c_gets=$(col 4 "$out/cold-warm") c_bytes=$(col 5 "$out/cold-warm")
a_s=$(col 6 "$out/cold-warm") a_init=$(col 7 "$out/cold-warm")
f_s=$(col 1 "$out/cold-fresh") f_init=$(col 2 "$out/cold-fresh") f_gets=$(col 4 "$out/cold-fresh")
e_s=$(col 1 "$out/eager-times") e_h=$(col 2 "$out/eager-times")
fl_s=$(col 1 "$out/floor-times") fl_h=$(col 2 "$out/floor-times")
rm -rf "$out/eager" "$out/floor"

# --- 2. warm invoke round trips
echo
echo "2. warm invokes: $warm_n sequential after $warmup unrecorded, one keep-alive connection"
worker_start warm
create shell-echo fn/shell:1 echo 128 10 >/dev/null
create java-echo fn/java:1 "$(jq -r '.config.Cmd[0]' <<<"$java_cfg")" "$java_mem" 10 >/dev/null
declare -A warm
for f in shell-echo java-echo; do
  show "$BENCH_JAVA" -cp '$BENCH_CP' dev.blocklift.bench.InvokeLatency "$sock" "$f" "$warm_n" "$warmup" '{"warm":true}'
  # In the background, so that a signal to this script is acted on at once (see cleanup).
  bench_java dev.blocklift.bench.InvokeLatency "$sock" "$f" "$warm_n" "$warmup" '{"warm":true}' \
    >"$out/warm-$f" &
  client_pid=$!
  wait "$client_pid" || { echo "bench: InvokeLatency $f failed" >&2; exit 1; }
  client_pid=
  warm[$f]=$(cat "$out/warm-$f")
  echo "  $f: ${warm[$f]}"
done
stats
warm_colds=$(metric 'blocklift_function_cold_starts_total{function="shell-echo"}')+$(metric 'blocklift_function_cold_starts_total{function="java-echo"}')
echo "  cold starts during section 2 (one per function expected): $warm_colds"
worker_stop
wv() { tr ' ' '\n' <<<"${warm[$1]}" | awk -F= -v k="$2" '$1 == k { print $2 }'; }

# --- 3. concurrent cold invokes
echo
echo "3. $concurrent concurrent invokes of the shell function (handler sleep, 2 s), empty caches"
worker_start warm
create shell-sleep fn/shell:1 sleep 128 60 "$concurrent" >/dev/null
echo "  ($concurrent of these at once, then $concurrent more:)"
show curl --unix-socket "$sock" -H 'Content-Type: application/json' --data-binary '{"seconds":2}' \
  "http://worker$api_path/shell-sleep/invocations"
round() { # round TAG: CONCURRENT invokes at once; prints "wall colds gets distinct fails"
  local g0 u0 c0 t0 t1 fails=0 pids=()
  stats; g0=$(metric blocklift_store_gets_total); u0=$(metric blocklift_store_distinct_chunks)
  c0=$(metric 'blocklift_function_cold_starts_total{function="shell-sleep"}'); c0=${c0:-0}
  drop_caches
  t0=$(now)
  for i in $(seq "$concurrent"); do
    invoke shell-sleep '{"seconds":2}' "$out/c-$1-$i" >/dev/null 2>"$out/c-$1-$i.err" & pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
  t1=$(now)
  for i in $(seq "$concurrent"); do
    [ "$(cat "$out/c-$1-$i.body" 2>/dev/null)" = '{"seconds":2}' ] || fails=$((fails + 1))
  done
  stats
  echo "$(elapsed "$t0" "$t1") $(( $(metric 'blocklift_function_cold_starts_total{function="shell-sleep"}') - c0 ))" \
    "$(( $(metric blocklift_store_gets_total) - g0 )) $(( $(metric blocklift_store_distinct_chunks) - u0 )) $fails"
}
read -r k1_wall k1_cold k1_gets k1_uniq k1_fail < <(round cold)
read -r k2_wall k2_cold k2_gets k2_uniq k2_fail < <(round warm)
echo "  first round: wall ${k1_wall}s, sandboxes created $k1_cold, store GETs $k1_gets, distinct chunks $k1_uniq, failed $k1_fail"
echo "  second round: wall ${k2_wall}s, sandboxes created $k2_cold, store GETs $k2_gets, failed $k2_fail"
worker_stop
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- results
gpu() { awk -v g="$1" -v u="$2" 'BEGIN { if (u == 0) print "n/a"; else printf "%.2f", g / u }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
ok() { awk -v v="$1" -v g="$2" 'BEGIN { print (v != "n/a" && v + 0 <= g + 0) ? "yes" : "NO" }'; }
echo
echo "results (bench/invoke.sh; RUNS=$runs WARM_INVOKES=$warm_n CONCURRENT=$concurrent)"
printf '%-52s %12s %10s %5s\n' measure value goal met
row() { printf '%-52s %12s %10s %5s\n' "$1" "$2" "${3:-}" "${4:-}"; }
row "1. Java cold invoke, worker JIT warmed (s)" "$c_s"
row "   eager: umoci unpack + runc run, one event (s)" "$e_s"
row "   cold / eager" "$(ratio "$c_s" "$e_s")" "<= 0.15" "$(ok "$(ratio "$c_s" "$e_s")" 0.15)"
row "   floor: runc run on the unpacked rootfs (s)" "$fl_s"
row "   cold / floor" "$(ratio "$c_s" "$fl_s")"
row "   Init Duration, REPORT (ms)" "$c_init"
row "   Duration, REPORT (ms)" "$c_dur"
row "   eager / floor handler, /next to /response (ms)" "$e_h / $fl_h"
row "   store GETs / fetched MiB (image rootfs MiB)" "$c_gets / $(mib "$c_bytes")" "($image_mib)"
row "   new sandbox, chunks in the worker's cache (s)" "$a_s"
row "   ... its Init Duration (ms)" "$a_init"
row "   cold invoke, worker just started (s)" "$f_s"
row "   ... its Init Duration (ms) / store GETs" "$f_init / $f_gets"
for f in shell-echo java-echo; do
  row "2. $f warm round trip p50 / p99 (ms)" "$(wv $f rtt_p50) / $(wv $f rtt_p99)"
  row "   handler Duration, REPORT, p50 / p99 (ms)" "$(wv $f duration_p50) / $(wv $f duration_p99)"
  row "   overhead = round trip - Duration, p50 (ms)" "$(wv $f overhead_p50)" "<= 2" "$(ok "$(wv $f overhead_p50)" 2)"
  row "   overhead p99 (ms)" "$(wv $f overhead_p99)" "<= 10" "$(ok "$(wv $f overhead_p99)" 10)"
  row "   invokes / errors" "$(wv $f invokes) / $(wv $f errors)"
done
row "3. $concurrent concurrent cold: sandboxes created" "$k1_cold" "$concurrent" "$( [ "$k1_cold" = "$concurrent" ] && echo yes || echo NO)"
row "   store GETs / distinct chunks" "$k1_gets / $k1_uniq"
row "   GETs per unique chunk" "$(gpu "$k1_gets" "$k1_uniq")" "1.00" "$(ok "$(gpu "$k1_gets" "$k1_uniq")" 1.0)"
row "   wall (s) / failed invokes" "$k1_wall / $k1_fail"
row "   then $concurrent more: sandboxes created" "$k2_cold" "0" "$( [ "$k2_cold" = 0 ] && echo yes || echo NO)"
row "   ... store GETs / wall (s) / failed" "$k2_gets / $k2_wall / $k2_fail"
echo "(Duration: the worker's time from handing the event to the sandbox's pending /next until the"
echo " runtime's /response arrived, as Lambda's REPORT; overhead: the rest of the round trip, i.e. the"
echo " Invoke API: socket, HTTP, routing, concurrency slot, sandbox lease, log tail, answer.)"
rm -rf "$out/mnt"
