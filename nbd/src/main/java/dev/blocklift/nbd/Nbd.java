package dev.blocklift.nbd;

import dev.blocklift.agent.WorkerApi;

/** The worker's NBD exports, as an API of the worker ({@code /nbd}, see {@link NbdExports}). */
public final class Nbd {
  private Nbd() {}

  /** Makes the worker's {@code /nbd} API over its shared tiers. */
  public static WorkerApi.Factory api() {
    return context -> new NbdExports(context.worker(), context.state());
  }
}
