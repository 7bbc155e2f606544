package dev.blocklift.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ImageName;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.TreeMap;

/**
 * The newest manifest sequence this machine has opened for each tenant's tag, kept in a 0600 JSON
 * file ({@code HOME/seen-tags.json}), so that a store serving an older manifest for a tag (a
 * rollback to an image with a known hole) is refused, across restarts. Newer sequences are recorded
 * as they are seen.
 */
public final class SeenTags {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;
  private final Map<String, Long> seen = new TreeMap<>();

  private SeenTags(Path file) {
    this.file = file;
  }

  /** Opens (or starts) the record in {@code file}; a file that does not parse is an error. */
  public static SeenTags open(Path file) throws IOException {
    SeenTags t = new SeenTags(file);
    if (Files.exists(file)) {
      JsonNode n;
      try {
        n = JSON.readTree(file.toFile());
      } catch (IOException e) {
        throw new BlockliftException(
            "seen-tags file " + file + " does not parse (" + e.getMessage() + "); fix or remove it",
            e);
      }
      n.path("tags").properties().forEach(e -> t.seen.put(e.getKey(), e.getValue().asLong()));
    }
    return t;
  }

  /**
   * Checks {@code sequence} for {@code name} of {@code tenant}: refuses one older than seen,
   * records a newer one.
   */
  public synchronized void check(TenantId tenant, ImageName name, long sequence) {
    String key = tenant + "/" + name;
    long known = seen.getOrDefault(key, 0L);
    if (sequence < known) {
      throw new BlockliftException(
          "the store serves "
              + name
              + " at sequence "
              + sequence
              + ", older than sequence "
              + known
              + " this machine has already opened: a rollback; refusing it (the record is "
              + file
              + ")");
    }
    if (sequence > known) {
      seen.put(key, sequence);
      try {
        write();
      } catch (IOException e) {
        throw new UncheckedIOException("recording the sequence of " + name + " in " + file, e);
      }
    }
  }

  private void write() throws IOException {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode tags = root.putObject("tags");
    seen.forEach(tags::put);
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, ".seen-tags-", ".tmp");
    try {
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
      Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
