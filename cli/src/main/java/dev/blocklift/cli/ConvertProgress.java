package dev.blocklift.cli;

import dev.blocklift.convert.ConvertListener;
import dev.blocklift.core.ByteSize;
import java.util.concurrent.atomic.LongAdder;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress bars for a conversion on a terminal: flatten (MiB of file data), then chunks, with the
 * plaintext bytes encrypted so far and what they are as stored (compressed and encrypted).
 */
final class ConvertProgress implements ConvertListener, AutoCloseable {
  private ProgressBar flatten;
  private final LongAdder dataBytes = new LongAdder();
  private final LongAdder storedBytes = new LongAdder();

  /** True when standard output is a terminal (progress bars only then). */
  @SuppressWarnings("SystemConsoleNull") // a null console is still possible with -Djdk.console
  static boolean onTerminal() {
    java.io.Console c = System.console();
    return c != null && c.isTerminal();
  }

  private ProgressBar chunks;

  /** Chunks done, counted from the start: conversion begins while the flatten still runs. */
  private final LongAdder done = new LongAdder();

  @Override
  public synchronized void flattenPlanned(long totalBytes) {
    flatten = bar("flatten", Math.max(1, totalBytes), "MiB", 1 << 20);
  }

  @Override
  public synchronized void flattened(long bytes) {
    if (flatten != null) {
      flatten.stepBy(bytes);
    }
  }

  @Override
  public synchronized void chunking(int count, long deviceBytes) {
    if (flatten != null) {
      flatten.close();
      flatten = null;
    }
    chunks = bar("chunks", Math.max(1, count), "chunks", 1);
    chunks.stepTo(done.sum());
  }

  @Override
  public void chunkDone(boolean hole) {
    done.increment();
    ProgressBar b = chunks;
    if (b != null) {
      b.step();
    }
  }

  @Override
  public void chunkEncrypted(int plaintextBytes, int stored) {
    dataBytes.add(plaintextBytes);
    storedBytes.add(stored);
    ProgressBar b = chunks;
    if (b != null) {
      b.setExtraMessage(message(dataBytes.sum(), storedBytes.sum()));
    }
  }

  /** The bar's extra message: {@code data 12 MiB -> stored 5 MiB}. */
  static String message(long data, long stored) {
    return "data " + ByteSize.format(data) + " -> stored " + ByteSize.format(stored);
  }

  private static ProgressBar bar(String task, long max, String unit, long unitSize) {
    return new ProgressBarBuilder()
        .setTaskName(task)
        .setInitialMax(max)
        .setUnit(" " + unit, unitSize)
        .setStyle(ProgressBarStyle.ASCII)
        .continuousUpdate()
        .build();
  }

  @Override
  public synchronized void close() {
    if (flatten != null) {
      flatten.close();
    }
    if (chunks != null) {
      chunks.close();
    }
  }
}
