package dev.blocklift.agent;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * The child process of {@link CowOverlayTest}'s crash test: opens an overlay, writes pages, says so
 * on stdout, then waits (for the SIGKILL) without flushing or closing anything.
 *
 * <p>Arguments: DIR DEVICE_SIZE MOUNT_ID DIGEST_HEX SEED PAGES.
 */
public final class CowOverlayCrashChild {
  private CowOverlayCrashChild() {}

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0]);
    long size = Long.parseLong(args[1]);
    CowOverlay.Identity id =
        new CowOverlay.Identity(UUID.fromString(args[2]), HexFormat.of().parseHex(args[3]));
    long seed = Long.parseLong(args[4]);
    int pages = Integer.parseInt(args[5]);
    CowOverlay ov = CowOverlay.open(dir, size, id);
    for (int i = 0; i < pages; i++) {
      long page = CowOverlayTest.page(seed, i, size);
      ov.writePage(page, CowOverlayTest.content(seed, page), CowOverlay.PAGE);
    }
    System.out.println("written " + pages);
    System.out.flush();
    // Wait for the kill; stdin closes only if the parent dies first.
    System.in.read();
    new SplittableRandom(seed).nextInt(); // keep ov reachable until here
    System.out.println(ov.pages());
  }
}
