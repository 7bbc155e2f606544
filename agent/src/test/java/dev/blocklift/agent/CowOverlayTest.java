package dev.blocklift.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The overlay's bitmap survives its process, and the overlay is bound to one identity. */
class CowOverlayTest {
  static final long SIZE = 4L << 20;

  @TempDir Path tmp;

  static long page(long seed, int i, long deviceSize) {
    long pages = deviceSize / CowOverlay.PAGE;
    return (i * 3L + Math.floorMod(seed, 3)) % pages;
  }

  static byte[] content(long seed, long page) {
    byte[] b = new byte[CowOverlay.PAGE];
    new SplittableRandom(seed * 1_000_003 + page).nextBytes(b);
    return b;
  }

  private static byte[] digest(int fill) {
    byte[] d = new byte[32];
    java.util.Arrays.fill(d, (byte) fill);
    return d;
  }

  @Test
  void bitsWrittenBeforeAKill9AreThereWhenTheOverlayIsReopened() throws Exception {
    Path dir = tmp.resolve("ov");
    CowOverlay.Identity id = CowOverlay.Identity.newMount(digest(7));
    long seed = 42;
    int pages = 150;
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                CowOverlayCrashChild.class.getName(),
                dir.toString(),
                Long.toString(SIZE),
                id.mountId().toString(),
                HexFormat.of().formatHex(id.manifestDigest()),
                Long.toString(seed),
                Integer.toString(pages))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> readLine(out));
      assertEquals("written " + pages, line.get(30, TimeUnit.SECONDS));
    } finally {
      child.destroyForcibly(); // SIGKILL: no flush, no close, no shutdown hook
      assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child died");
    }
    assertEquals(137, child.exitValue(), "killed by SIGKILL");

    try (CowOverlay ov = CowOverlay.open(dir, SIZE, id)) {
      assertEquals(pages, ov.pages());
      for (int i = 0; i < pages; i++) {
        long p = page(seed, i, SIZE);
        assertTrue(ov.has(p), "page " + p);
        byte[] got = new byte[CowOverlay.PAGE];
        ov.readData(p * CowOverlay.PAGE, got, 0, got.length);
        assertArrayEquals(content(seed, p), got, "page " + p);
      }
      assertFalse(ov.has(page(seed, pages, SIZE)));
    }
  }

  @Test
  void aSecondInstanceSeesTheFirstsBitsWithoutFlushOrClose() throws IOException {
    Path dir = tmp.resolve("ov");
    CowOverlay.Identity id = CowOverlay.Identity.newMount(digest(1));
    CowOverlay first = CowOverlay.open(dir, SIZE, id);
    first.writePage(3, content(1, 3), CowOverlay.PAGE);
    first.writePage(700, content(1, 700), CowOverlay.PAGE);
    try (CowOverlay second = CowOverlay.open(dir, SIZE, id)) {
      assertEquals(2, second.pages());
      assertTrue(second.has(3) && second.has(700));
      byte[] got = new byte[CowOverlay.PAGE];
      second.readData(700L * CowOverlay.PAGE, got, 0, got.length);
      assertArrayEquals(content(1, 700), got);
    } finally {
      first.close();
    }
  }

  @Test
  void anotherIdentityIsRefusedNamingBoth() throws IOException {
    Path dir = tmp.resolve("ov");
    CowOverlay.Identity mine = CowOverlay.Identity.newMount(digest(1));
    try (CowOverlay ov = CowOverlay.open(dir, SIZE, mine)) {
      ov.writePage(0, new byte[CowOverlay.PAGE], CowOverlay.PAGE);
    }
    for (CowOverlay.Identity other :
        List.of(
            CowOverlay.Identity.newMount(digest(1)), // another mount of the same image
            new CowOverlay.Identity(mine.mountId(), digest(2)))) { // same id, another image
      IOException e = assertThrows(IOException.class, () -> CowOverlay.open(dir, SIZE, other));
      assertTrue(e.getMessage().contains(mine.toString()), e.getMessage());
      assertTrue(e.getMessage().contains(other.toString()), e.getMessage());
    }
    // Adopting (a kept overlay reused by the next mount) takes the same image only.
    try (CowOverlay ov = CowOverlay.adopt(dir, SIZE, digest(1))) {
      assertEquals(mine, ov.identity());
      assertEquals(1, ov.pages());
    }
    assertThrows(IOException.class, () -> CowOverlay.adopt(dir, SIZE, digest(3)));
    IOException size = assertThrows(IOException.class, () -> CowOverlay.open(dir, 2 * SIZE, mine));
    assertTrue(size.getMessage().contains("does not belong to a device of"), size.getMessage());
  }

  @Test
  void theDirectoryIs0700AndTheFiles0600() throws IOException {
    Path dir = tmp.resolve("a").resolve("ov");
    try (CowOverlay ov = CowOverlay.open(dir, SIZE, CowOverlay.Identity.newMount(digest(5)))) {
      ov.writePage(1, new byte[CowOverlay.PAGE], CowOverlay.PAGE);
    }
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    for (String f : List.of(CowOverlay.DATA_FILE, CowOverlay.BITMAP_FILE)) {
      assertEquals(
          "rw-------",
          PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(f))),
          f);
    }
  }

  @Test
  void anIdentityNeedsA32ByteDigest() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new CowOverlay.Identity(UUID.randomUUID(), new byte[20]));
    assertTrue(e.getMessage().contains("20 bytes"), e.getMessage());
  }

  private static String readLine(BufferedReader r) {
    try {
      return r.readLine();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
