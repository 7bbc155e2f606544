package dev.blocklift.agent;

import dev.blocklift.core.BlockliftException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * One worker per state directory: an exclusive lock on {@code STATE/worker.lock} (released by the
 * kernel when the process dies, so a crashed worker never blocks its successor), holding the
 * owner's pid for the message a second worker gets.
 */
final class StateLock implements AutoCloseable {
  private final FileChannel channel;
  private final FileLock lock;

  private StateLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  static StateLock acquire(Path state) throws IOException {
    SecureDirs.ensure(state);
    Path file = state.resolve("worker.lock");
    FileChannel ch =
        FileChannel.open(
            file,
            java.util.Set.of(
                StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    FileLock l;
    try {
      l = ch.tryLock();
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    if (l == null) {
      String owner = Files.readString(file, StandardCharsets.UTF_8).strip();
      ch.close();
      throw new BlockliftException(
          "another worker"
              + (owner.isEmpty() ? "" : " (pid " + owner + ")")
              + " serves state directory "
              + state
              + "; stop it first, or give this one its own --state and --socket");
    }
    ch.truncate(0);
    ch.write(
        ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)),
        0);
    return new StateLock(ch, l);
  }

  @Override
  public void close() throws IOException {
    try {
      lock.release();
    } finally {
      channel.close();
    }
  }
}
