package dev.blocklift.agent;

import dev.blocklift.core.BlockliftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import org.cryptomator.jfuse.api.Fuse;
import org.cryptomator.jfuse.api.FuseBuilder;
import org.cryptomator.jfuse.api.FuseMountFailedException;

/**
 * A mounted FUSE directory (through jfuse, on the FFM API) in which attached devices appear as
 * files. Devices can be attached and detached while mounted. Closing unmounts and closes every
 * device still attached.
 */
public final class FuseServer implements AutoCloseable {
  /** Where Debian's libfuse3 lives; jfuse needs the path set explicitly on this platform. */
  public static final String DEFAULT_LIBFUSE = "/usr/lib/x86_64-linux-gnu/libfuse3.so.3";

  private final Path mountPoint;
  private final DeviceFs fs;
  private final Fuse fuse;
  private boolean closed;

  private FuseServer(Path mountPoint, DeviceFs fs, Fuse fuse) {
    this.mountPoint = mountPoint;
    this.fs = fs;
    this.fuse = fuse;
  }

  /** Mounts an empty device directory at {@code mountPoint} (created if missing). */
  public static FuseServer mount(Path mountPoint) throws IOException {
    String lib = System.getProperty("blocklift.libfuse", DEFAULT_LIBFUSE);
    if (!Files.exists(Path.of("/dev/fuse"))) {
      throw new BlockliftException("FUSE is not available: /dev/fuse is missing (load `fuse`)");
    }
    if (!Files.exists(Path.of(lib))) {
      throw new BlockliftException(
          "libfuse3 not found at "
              + lib
              + " (install the fuse3 package, or set -Dblocklift.libfuse)");
    }
    Files.createDirectories(mountPoint);
    FuseBuilder builder = Fuse.builder();
    builder.setLibraryPath(lib);
    DeviceFs fs = new DeviceFs(builder.errno());
    Fuse fuse = builder.build(fs);
    try {
      fuse.mount("blocklift", mountPoint, "-o", "fsname=blocklift,subtype=blocklift");
    } catch (FuseMountFailedException e) {
      throw new IOException("could not mount FUSE at " + mountPoint + ": " + e.getMessage(), e);
    }
    return new FuseServer(mountPoint, fs, fuse);
  }

  public Path mountPoint() {
    return mountPoint;
  }

  /** Makes {@code device} appear as {@code mountPoint/name}; returns that path. */
  public Path attach(String name, BlockDevice device) {
    fs.attach(name, device);
    return mountPoint.resolve(name);
  }

  /** Removes a file (the device is returned, not closed). */
  public BlockDevice detach(String name) {
    return fs.detach(name);
  }

  public Set<String> names() {
    return fs.files().keySet();
  }

  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    IOException failure = null;
    // Unmount from outside first: the kernel ends the session, so jfuse's loop thread returns at
    // once instead of jfuse waiting up to 10 s for it.
    Commands.run(List.of("fusermount3", "-u", "-z", mountPoint.toString()));
    try {
      fuse.close();
    } catch (TimeoutException e) {
      failure = new IOException("FUSE at " + mountPoint + " did not stop in time", e);
    }
    for (String name : Set.copyOf(fs.files().keySet())) {
      BlockDevice d = fs.detach(name);
      try {
        if (d != null) {
          d.close();
        }
      } catch (IOException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
