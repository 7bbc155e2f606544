package dev.blocklift.convert;

import java.nio.file.Path;

/**
 * Runs one device conversion with a slowed-down store, in its own JVM, so a test can kill it with
 * SIGKILL half-way. Arguments: home directory, device file, image name, delay per put (ms).
 */
public final class SlowConvertMain {
  private SlowConvertMain() {}

  public static void main(String[] args) throws Exception {
    Path homeDir = Path.of(args[0]);
    TestHome plain = new TestHome(homeDir);
    try (TestHome home =
        new TestHome(homeDir, FaultyStore.slow(plain.store, Long.parseLong(args[3])))) {
      ConvertResult r = home.convert(Path.of(args[1]), args[2]);
      System.out.println("converted " + r.stats());
    }
  }
}
