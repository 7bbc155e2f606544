package dev.blocklift.flatten;

import java.nio.file.Path;

/**
 * Flattens a named fixture into a file, in a fresh JVM: used by the determinism test (two JVMs,
 * different time zones and locales) and the bounded-memory test (-Xmx512m).
 */
public final class FlattenMain {
  private FlattenMain() {}

  public static void main(String[] args) throws Exception {
    Fixtures.Image img =
        switch (args[0]) {
          case "all-types" -> Fixtures.allTypes();
          case "random" -> RandomTrees.build(Long.parseLong(args[2]));
          case "ten-gib" -> Fixtures.tenGiB();
          default -> throw new IllegalArgumentException("unknown fixture " + args[0]);
        };
    FlattenResult r =
        new Flattener()
            .flatten(
                img.tree(),
                img.content(),
                Path.of(args[1]),
                FlattenOptions.defaults(),
                FlattenListener.NONE);
    System.out.println(
        "files="
            + r.files()
            + " bytes="
            + r.dataBytes()
            + " device="
            + r.deviceBytes()
            + " millis="
            + r.elapsed().toMillis()
            + " maxHeap="
            + Runtime.getRuntime().maxMemory());
  }
}
