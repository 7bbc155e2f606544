#!/usr/bin/env bash
# Issue 5 benchmark: chunk read latency through a fleet of cache-node JVMs on 127.0.0.1, 4-of-5
# Reed-Solomon vs one copy per chunk, healthy and with one node slowed by 20 ms; hit rate around a
# kill -9; one node's GET/PUT throughput; RS encode/decode MB/s. Prints Markdown tables.
#   bench/fleet.sh [--nodes 6] [--chunks 64] [--reads 2000]
source "$(dirname "$0")/lib.sh"
cd "$BENCH_ROOT"
./mvnw -q -B -ntp -DskipTests -Dspotless.check.skip=true -pl fleet -am install >&2
./mvnw -q -B -ntp -pl fleet dependency:build-classpath -Dmdep.outputFile="$BENCH_WORK/fleet-cp.txt" >&2
"$BENCH_JAVA" -Xmx1g -cp "fleet/target/classes:$(cat "$BENCH_WORK/fleet-cp.txt")" \
  dev.blocklift.fleet.bench.FleetBenchmark --work "$BENCH_WORK/fleet" ${*:---nodes 6 --chunks 64 --reads 2000}
