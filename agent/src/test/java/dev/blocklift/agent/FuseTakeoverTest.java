package dev.blocklift.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.BlockliftException;
import dev.blocklift.testing.Requirements;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A FUSE mount outlives its server: kill -9 or SIGTERM the serving process (a child JVM) while this
 * one reads through the mount, let a second child adopt it, and the reads go on with the right
 * bytes. Every wait has a deadline; a hung read fails the test instead of hanging it.
 */
class FuseTakeoverTest {
  static final long SIZE = 8L << 20;
  static final Duration DEADLINE = Duration.ofSeconds(30);

  @TempDir Path tmp;
  Path mount;
  Path state;
  final List<Child> children = new ArrayList<>();

  @BeforeEach
  void needs() {
    Requirements.root();
    Requirements.fuse();
    mount = tmp.resolve("fuse");
    state = tmp.resolve("state");
  }

  @AfterEach
  void tidy() throws IOException {
    for (Child c : children) {
      c.process.destroyForcibly();
    }
    FuseServer.cleanup(mount, state);
  }

  /** A child JVM running {@link FuseTakeoverChild}, its stdout lines queued. */
  final class Child {
    final Process process;
    final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();

    Child(String... args) throws IOException {
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.addAll(
          List.of(
              "--enable-native-access=ALL-UNNAMED",
              "-XX:TieredStopAtLevel=1",
              "-Xmx256m",
              "-cp",
              System.getProperty("java.class.path"),
              FuseTakeoverChild.class.getName()));
      cmd.addAll(List.of(args));
      process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      children.add(this);
      Thread.ofPlatform()
          .daemon()
          .start(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  String l;
                  while ((l = r.readLine()) != null) {
                    lines.add(l);
                  }
                } catch (IOException e) {
                  lines.add("EOF " + e);
                }
              });
    }

    String await(String prefix) throws InterruptedException {
      long end = System.nanoTime() + DEADLINE.toNanos();
      while (true) {
        String l = lines.poll(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (l == null) {
          throw new AssertionError("no '" + prefix + "' from the child within " + DEADLINE);
        }
        if (l.startsWith(prefix)) {
          return l;
        }
        if (l.startsWith("HANDOVER FAILED")) {
          throw new AssertionError(l);
        }
      }
    }

    void send(String line) throws IOException {
      OutputStream o = process.getOutputStream();
      o.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      o.flush();
    }

    int exit() throws InterruptedException {
      assertTrue(process.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS), "child did not exit");
      return process.exitValue();
    }
  }

  Child serve(long blockAt, String... image) throws Exception {
    List<String> a = new ArrayList<>(List.of("serve", mount.toString(), state.toString()));
    a.addAll(List.of(Long.toString(SIZE), Long.toString(blockAt)));
    a.addAll(List.of(image));
    Child c = new Child(a.toArray(String[]::new));
    c.await("READY");
    return c;
  }

  /**
   * A successor, started while the current server still answers (a process spawned while no server
   * answers would block closing the FUSE fds it inherits); {@link #go} makes it adopt.
   */
  Child successor(String... image) throws Exception {
    List<String> a = new ArrayList<>(List.of("adopt", mount.toString(), state.toString()));
    a.addAll(List.of(Long.toString(SIZE), "-1"));
    a.addAll(List.of(image));
    Child c = new Child(a.toArray(String[]::new));
    c.await("WAITING");
    return c;
  }

  static Child go(Child successor) throws Exception {
    successor.send("go");
    successor.await("READY");
    return successor;
  }

  /** Threads reading random O_DIRECT ranges of a file in a loop, checking every byte. */
  static final class Readers {
    final List<Thread> threads = new ArrayList<>();
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    volatile boolean stop;
    private long count;

    interface Expected {
      byte[] at(long offset, int length);
    }

    Readers(Path file, long size, int n, Expected expected) {
      for (int t = 0; t < n; t++) {
        SplittableRandom r = new SplittableRandom(t * 7919L);
        threads.add(
            Thread.ofPlatform()
                .daemon()
                .name("reader-" + file.getFileName() + "-" + t)
                .start(() -> run(file, size, r, expected)));
      }
    }

    private void run(Path file, long size, SplittableRandom r, Expected expected) {
      ByteBuffer raw = ByteBuffer.allocateDirect((256 << 10) + 4096);
      try (FileChannel ch =
          FileChannel.open(file, StandardOpenOption.READ, FuseDeviceTest.directOption())) {
        while (!stop) {
          int len = 4096 << r.nextInt(7);
          long off = r.nextLong((size - len) / 4096 + 1) * 4096;
          ByteBuffer b = raw.clear().alignedSlice(4096).slice(0, len);
          while (b.hasRemaining()) {
            if (ch.read(b, off + b.position()) <= 0) {
              throw new AssertionError("EOF at " + (off + b.position()));
            }
          }
          byte[] got = new byte[len];
          b.flip().get(got);
          assertArrayEquals(expected.at(off, len), got, "read @" + off + "+" + len);
          synchronized (this) {
            count++;
            notifyAll();
          }
        }
      } catch (Throwable t) {
        failure.compareAndSet(null, t);
        synchronized (this) {
          notifyAll();
        }
      }
    }

    /** Waits until {@code more} further reads succeeded. */
    synchronized void progress(int more) throws InterruptedException {
      long target = count + more;
      long end = System.nanoTime() + DEADLINE.toNanos();
      while (count < target && failure.get() == null) {
        long left = end - System.nanoTime();
        assertTrue(left > 0, "readers stuck at " + count + " reads (wanted " + target + ")");
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
      assertNull(failure.get(), () -> "a reader failed: " + failure.get());
    }

    void finish() throws InterruptedException {
      stop = true;
      for (Thread t : threads) {
        assertTrue(t.join(DEADLINE), t.getName() + " hangs");
      }
      assertNull(failure.get(), () -> "a reader failed: " + failure.get());
    }
  }

  static byte[] pattern(long off, int len) {
    byte[] b = new byte[len];
    for (int i = 0; i < len; i++) {
      b[i] = FuseTakeoverChild.at(off + i);
    }
    return b;
  }

  void assertGone(int holderPid) throws IOException {
    assertNull(MountInfo.at(mount.toRealPath().toString()), "mount left behind");
    assertEquals(-1, FdHolder.startTime(holderPid), "holder " + holderPid + " still runs");
    assertFalse(Files.exists(state.resolve(FuseState.FILE)), "state left behind");
  }

  @Test
  void aKilledServerIsAdoptedAndReadersThroughTheMountAndALoopExt4GoOn() throws Exception {
    Requirements.loopDevices();
    Requirements.commands("mkfs.ext4", "losetup", "mount", "umount");
    Path image = Ext4Fixture.busyboxImage(tmp, 11);
    byte[] data = Files.readAllBytes(tmp.resolve("tree").resolve(Ext4Fixture.DATA_FILE));
    Child first = serve(-1, image.toString());
    int holder = FuseState.read(state).holderPid();
    Path target = Files.createDirectories(tmp.resolve("ext4"));
    try (LoopMount loop = LoopMount.mount(mount.resolve("img"), target, true)) {
      Path inside = target.resolve(Ext4Fixture.DATA_FILE);
      Readers direct = new Readers(mount.resolve("pattern"), SIZE, 3, FuseTakeoverTest::pattern);
      Readers ext4 =
          new Readers(
              inside,
              data.length & ~4095L,
              2,
              (off, len) -> java.util.Arrays.copyOfRange(data, (int) off, (int) off + len));
      direct.progress(20);
      ext4.progress(20);
      Child second = successor(image.toString());
      first.process.destroyForcibly(); // SIGKILL, mid-stream
      first.exit();
      go(second);
      direct.progress(50);
      ext4.progress(50);
      direct.finish();
      ext4.finish();
      loop.close();
      second.send("close");
      second.await("CLOSED");
      assertEquals(0, second.exit());
    }
    assertGone(holder);
  }

  @Test
  void sigtermHandsOverAndTheSuccessorServesOn() throws Exception {
    Child first = serve(-1);
    int holder = FuseState.read(state).holderPid();
    Readers r = new Readers(mount.resolve("pattern"), SIZE, 3, FuseTakeoverTest::pattern);
    r.progress(20);
    Child second = successor();
    first.process.destroy(); // SIGTERM: the shutdown hook hands over
    first.exit();
    go(second);
    r.progress(50);
    r.finish();
    assertEquals(FuseTakeoverChild.at(12345), readAt(mount.resolve("pattern"), 12345));
    second.send("close");
    second.await("CLOSED");
    second.exit();
    assertGone(holder);
  }

  @Test
  void aRequestInFlightWhenTheServerDiedIsAnsweredByTheAdopter() throws Exception {
    long at = 3L << 20;
    Child first = serve(at + 100);
    Child second = successor();
    CompletableFuture<byte[]> read =
        CompletableFuture.supplyAsync(
            () -> {
              try (FileChannel ch =
                  FileChannel.open(
                      mount.resolve("pattern"),
                      StandardOpenOption.READ,
                      FuseDeviceTest.directOption())) {
                ByteBuffer b = ByteBuffer.allocateDirect(8192).alignedSlice(4096).slice(0, 4096);
                ch.read(b, at);
                byte[] got = new byte[4096];
                b.flip().get(got);
                return got;
              } catch (IOException | ReflectiveOperationException e) {
                throw new IllegalStateException(e);
              }
            },
            r -> Thread.ofPlatform().daemon().start(r));
    first.await("BLOCKED"); // the READ is in the dead server's journal, unanswered
    first.process.destroyForcibly();
    first.exit();
    assertFalse(read.isDone(), "the read must wait for a successor");
    go(second);
    assertArrayEquals(pattern(at, 4096), read.get(DEADLINE.toSeconds(), TimeUnit.SECONDS));
    second.send("close");
    second.await("CLOSED");
    second.exit();
  }

  @Test
  void withTheHolderGoneAdoptFailsClearlyAndCleanupRemovesEverything() throws Exception {
    Child first = serve(-1);
    int holder = FuseState.read(state).holderPid();
    first.process.destroyForcibly();
    first.exit();
    ProcessHandle h = ProcessHandle.of(holder).orElseThrow();
    h.destroyForcibly();
    h.onExit().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    BlockliftException e =
        assertThrows(
            BlockliftException.class, () -> FuseServer.adopt(mount, state, java.util.Map.of()));
    assertTrue(e.getMessage().contains("holder"), e.getMessage());
    FuseServer.cleanup(mount, state);
    assertGone(holder);
  }

  static byte readAt(Path file, long offset) throws IOException {
    return FuseDeviceTest.readAt(file, offset, 1)[0];
  }
}
