/** Benchmark programs run by the scripts in {@code bench/}; never timed in tests. */
package dev.blocklift.bench;
