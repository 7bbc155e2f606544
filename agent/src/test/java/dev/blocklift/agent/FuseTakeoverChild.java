package dev.blocklift.agent;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * A FUSE server in a process of its own, for the takeover tests: {@code serve|adopt MOUNT STATE
 * SIZE BLOCK_AT [IMAGE]} serves a pattern file "pattern" of SIZE bytes (a read covering BLOCK_AT
 * blocks forever, after printing BLOCKED; -1 for none) and, with IMAGE, the file as "img". Prints
 * READY once serving (adopt first waits for a line "go"); SIGTERM hands over; a line "close" on
 * stdin closes and exits.
 */
public final class FuseTakeoverChild {
  private FuseTakeoverChild() {}

  /** The pattern's byte at {@code offset}. */
  static byte at(long offset) {
    long x = (offset >>> 3) * 0x9E3779B97F4A7C15L;
    return (byte) ((x >>> 56) ^ offset);
  }

  static final class PatternDevice implements BlockDevice {
    final long size;
    final long blockAt;

    PatternDevice(long size, long blockAt) {
      this.size = size;
      this.blockAt = blockAt;
    }

    @Override
    public long size() {
      return size;
    }

    @Override
    public void read(long offset, byte[] dst, int dstOffset, int length) throws IOException {
      BlockDevice.checkRange(size, offset, length, dst, dstOffset);
      if (blockAt >= offset && blockAt < offset + length) {
        System.out.println("BLOCKED " + offset);
        System.out.flush();
        try {
          new CountDownLatch(1).await();
        } catch (InterruptedException e) {
          throw new IOException("interrupted", e);
        }
      }
      for (int i = 0; i < length; i++) {
        dst[dstOffset + i] = at(offset + i);
      }
    }
  }

  static final class FileDevice implements BlockDevice {
    final FileChannel ch;
    final long size;

    FileDevice(Path file) throws IOException {
      ch = FileChannel.open(file, StandardOpenOption.READ);
      size = ch.size();
    }

    @Override
    public long size() {
      return size;
    }

    @Override
    public void read(long offset, byte[] dst, int dstOffset, int length) throws IOException {
      ByteBuffer b = ByteBuffer.wrap(dst, dstOffset, length);
      while (b.hasRemaining()) {
        if (ch.read(b, offset + b.position() - dstOffset) < 0) {
          throw new IOException("EOF");
        }
      }
    }

    @Override
    public void close() throws IOException {
      ch.close();
    }
  }

  public static void main(String[] args) throws Exception {
    Path mount = Path.of(args[1]);
    Path state = Path.of(args[2]);
    Map<String, BlockDevice> devices = new LinkedHashMap<>();
    devices.put("pattern", new PatternDevice(Long.parseLong(args[3]), Long.parseLong(args[4])));
    if (args.length > 5) {
      devices.put("img", new FileDevice(Path.of(args[5])));
    }
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    FuseServer server;
    if (args[0].equals("serve")) {
      server = FuseServer.mount(mount, state);
      devices.forEach(server::attach);
    } else {
      // Started ahead, while the old server still answers: a process spawned while a mount's
      // server is gone blocks in the close (FLUSH) of the FUSE fds it inherited.
      System.out.println("WAITING");
      System.out.flush();
      if (!"go".equals(in.readLine())) {
        return;
      }
      server = FuseServer.adopt(mount, state, devices);
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    server.handOver();
                  } catch (IOException | RuntimeException e) {
                    System.out.println("HANDOVER FAILED " + e);
                  }
                }));
    System.out.println("READY");
    System.out.flush();
    String line;
    while ((line = in.readLine()) != null) {
      if (line.equals("close")) {
        server.close();
        System.out.println("CLOSED");
        System.out.flush();
        System.exit(0);
      }
    }
    Thread.currentThread().join();
  }
}
