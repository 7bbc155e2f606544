package dev.blocklift.agent;

import dev.blocklift.core.ChunkName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One image presented and mounted: its device (lazy, behind a copy-on-write overlay unless
 * read-only) appears as a file in a FUSE directory, and that file is loop-mounted as ext4 on the
 * target directory. {@link #close} undoes all of it in reverse order: the ext4 mount and loop
 * device, the FUSE file, the overlay (deleted unless kept).
 */
public final class ImageMount implements AutoCloseable {
  private final FuseServer fuse;
  private final String fileName;
  private final BlockDevice device;
  private final LoopMount loop;
  private boolean closed;

  private ImageMount(FuseServer fuse, String fileName, BlockDevice device, LoopMount loop) {
    this.fuse = fuse;
    this.fileName = fileName;
    this.device = device;
    this.loop = loop;
  }

  /**
   * Like {@link #open(FuseServer, String, LazyDevice, Path, boolean, Path, boolean, boolean)} for a
   * target users reach ({@code nodev,nosuid}).
   */
  public static ImageMount open(
      FuseServer fuse,
      String fileName,
      LazyDevice lazy,
      Path target,
      boolean readOnly,
      Path overlayDir,
      boolean keepOverlay)
      throws IOException {
    return open(fuse, fileName, lazy, target, readOnly, overlayDir, keepOverlay, true);
  }

  /**
   * Attaches the device to the FUSE directory and loop-mounts it on {@code target} ({@code nodev},
   * and {@code nosuid} when {@code userReachable}: see {@link LoopMount#mount(Path, Path, boolean,
   * boolean)}).
   *
   * @param overlayDir where the copy-on-write overlay lives (ignored when read-only)
   * @param keepOverlay keep the overlay after close (for a later mount with the same dir)
   */
  public static ImageMount open(
      FuseServer fuse,
      String fileName,
      LazyDevice lazy,
      Path target,
      boolean readOnly,
      Path overlayDir,
      boolean keepOverlay,
      boolean userReachable)
      throws IOException {
    BlockDevice device =
        readOnly ? lazy : new CowDevice(lazy, overlay(overlayDir, lazy, keepOverlay), !keepOverlay);
    Path file = fuse.attach(fileName, device);
    try {
      LoopMount loop = LoopMount.mount(file, target, readOnly, userReachable);
      return new ImageMount(fuse, fileName, device, loop);
    } catch (IOException | RuntimeException e) {
      fuse.detach(fileName);
      try {
        device.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /**
   * The overlay for a mount of {@code lazy}: a kept one is reused by the next mount of the same
   * image (keeping its mount id); otherwise the overlay belongs to this mount alone, and one left
   * in the directory by another mount is refused.
   */
  private static CowOverlay overlay(Path dir, LazyDevice lazy, boolean keep) throws IOException {
    byte[] digest = imageDigest(lazy.map());
    return keep
        ? CowOverlay.adopt(dir, lazy.size(), digest)
        : CowOverlay.open(dir, lazy.size(), CowOverlay.Identity.newMount(digest));
  }

  /**
   * The image's manifest digest; for a map not read from a manifest (tests), the SHA-256 of its
   * geometry and chunk names, which name its content just as well.
   */
  static byte[] imageDigest(ChunkMap map) {
    if (map instanceof ManifestChunkMap m) {
      byte[] d = HexFormat.of().parseHex(m.manifest().digest().hex());
      if (d.length == 32) {
        return d;
      }
    }
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
    if (map instanceof ManifestChunkMap m) {
      // A manifest named by a longer digest: the SHA-256 of that name.
      return sha.digest(m.manifest().digest().toString().getBytes(StandardCharsets.UTF_8));
    }
    sha.update((map.chunkSize() + ":" + map.deviceSize()).getBytes(StandardCharsets.UTF_8));
    for (int i = 0; i < map.chunkCount(); i++) {
      sha.update(
          (":" + map.chunk(i).map(ChunkName::hex).orElse("-")).getBytes(StandardCharsets.UTF_8));
    }
    return sha.digest();
  }

  public Path target() {
    return loop.target();
  }

  public String loopDevice() {
    return loop.loopDevice();
  }

  public BlockDevice device() {
    return device;
  }

  /** The path of the device file in the FUSE directory. */
  public Path file() {
    return fuse.mountPoint().resolve(fileName);
  }

  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      loop.close();
    } finally {
      fuse.detach(fileName);
      device.close();
    }
  }
}
