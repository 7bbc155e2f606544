package dev.blocklift.nbd;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** One server's counters. */
final class NbdStats {
  final AtomicInteger open = new AtomicInteger();
  final LongAdder connections = new LongAdder();
  final LongAdder refused = new LongAdder();
  final LongAdder dropped = new LongAdder();
  final LongAdder requests = new LongAdder();
  final LongAdder errors = new LongAdder();
  final LongAdder bytesRead = new LongAdder();
  final LongAdder bytesWritten = new LongAdder();
}
