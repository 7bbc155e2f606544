package dev.blocklift.cli;

import dev.blocklift.convert.ConvertListener;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Progress bars for a conversion on a terminal: flatten (MiB of file data), then chunks. */
final class ConvertProgress implements ConvertListener, AutoCloseable {
  private ProgressBar flatten;

  /** True when standard output is a terminal (progress bars only then). */
  @SuppressWarnings("SystemConsoleNull") // a null console is still possible with -Djdk.console
  static boolean onTerminal() {
    java.io.Console c = System.console();
    return c != null && c.isTerminal();
  }

  private ProgressBar chunks;

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
  }

  @Override
  public void chunkDone(boolean hole) {
    ProgressBar b = chunks;
    if (b != null) {
      b.step();
    }
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
