package dev.blocklift.convert;

import dev.blocklift.core.ImageRef;
import dev.blocklift.core.Platform;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Runs one image conversion (flatten and all) with a slowed-down store, in its own JVM, so a test
 * can kill it with SIGKILL half-way. Arguments: home directory, OCI layout, tag, image name, delay
 * per put (ms).
 */
public final class SlowImageConvertMain {
  private SlowImageConvertMain() {}

  public static void main(String[] args) throws Exception {
    Path homeDir = Path.of(args[0]);
    TestHome plain = new TestHome(homeDir);
    try (TestHome home =
        new TestHome(homeDir, FaultyStore.slow(plain.store, Long.parseLong(args[4])))) {
      ConvertResult r =
          home.converter()
              .convert(
                  new ImageRef.OciLayout(Path.of(args[1]), Optional.of(args[2])),
                  Platform.LINUX_AMD64,
                  TestHome.options(args[3]),
                  ConvertListener.NONE);
      System.out.println("converted " + r.stats());
    }
  }
}
