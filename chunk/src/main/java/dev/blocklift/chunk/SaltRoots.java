package dev.blocklift.chunk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.CorruptDataException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * The salt roots of a home, persisted in a small JSON file (by convention {@code
 * $BLOCKLIFT_HOME/salt-roots.json}, format in docs/chunk-format.md). Every change is a
 * read-modify-write under an exclusive lock on {@code FILE.lock}, published by atomic rename, so
 * concurrent CLI processes do not lose updates.
 *
 * <p>Root ids are {@code root-N} with N counting up from 1 and never reused.
 */
public final class SaltRoots {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String FORMAT = "blocklift-salt-roots";

  private final Path file;
  private final Clock clock;
  private final SaltRootListener listener;

  public SaltRoots(Path file, Clock clock, SaltRootListener listener) {
    this.file = file;
    this.clock = clock;
    this.listener = listener;
  }

  /** Roots in {@code file}; reads under an expired root throw ({@link SaltRootListener#FAIL}). */
  public SaltRoots(Path file, Clock clock) {
    this(file, clock, SaltRootListener.FAIL);
  }

  public Path file() {
    return file;
  }

  /** All roots, oldest first. */
  public List<SaltRoot> list() {
    return read().roots;
  }

  public Optional<SaltRoot> find(String id) {
    return list().stream().filter(r -> r.id().equals(id)).findFirst();
  }

  /** The active root, creating {@code root-1} on first use. */
  public SaltRoot active() {
    Optional<SaltRoot> a = read().active();
    if (a.isPresent()) {
      return a.get();
    }
    return update(
        s -> {
          if (s.active().isEmpty()) {
            s.add(clock.instant());
          }
          return s.active().orElseThrow();
        });
  }

  /** Retires the active root (if any) and makes a new active one, which it returns. */
  public SaltRoot rotate() {
    return update(
        s -> {
          Instant now = clock.instant();
          s.replaceIf(r -> r.state() == SaltRoot.State.ACTIVE, r -> r.retire(now));
          return s.add(now);
        });
  }

  /** Expires every retired root retired at least {@code grace} ago; returns the ones expired. */
  public List<SaltRoot> expireRetired(Duration grace) {
    return update(
        s -> {
          Instant now = clock.instant();
          Instant cutoff = now.minus(grace);
          return s.replaceIf(
              r ->
                  r.state() == SaltRoot.State.RETIRED && !r.retired().orElseThrow().isAfter(cutoff),
              r -> r.expire(now));
        });
  }

  /** Expires one retired root now. The active root must be rotated first. */
  public SaltRoot expire(String id) {
    return update(
        s -> {
          SaltRoot r =
              s.find(id)
                  .orElseThrow(
                      () -> new BlockliftException("unknown salt root \"" + id + "\" in " + file));
          if (r.state() == SaltRoot.State.ACTIVE) {
            throw new BlockliftException(
                "salt root " + id + " is active; rotate before expiring it");
          }
          if (r.state() == SaltRoot.State.EXPIRED) {
            return r;
          }
          Instant now = clock.instant();
          return s.replaceIf(x -> x.id().equals(id), x -> x.expire(now)).getFirst();
        });
  }

  /**
   * Looks up the root a manifest was converted under, before reading its chunks. An expired root is
   * reported to the listener (never silent); an unknown one is an error.
   *
   * @param what what is being read, for the alarm, e.g. {@code manifest team/app:1}
   */
  public SaltRoot checkReadable(String id, String what) {
    SaltRoot root =
        find(id)
            .orElseThrow(
                () ->
                    new BlockliftException(
                        what
                            + " names salt root \""
                            + id
                            + "\", which "
                            + file
                            + " does not know"));
    if (root.state() == SaltRoot.State.EXPIRED) {
      listener.expiredRootRead(root, what);
    }
    return root;
  }

  // ---- persistence ----

  private <T> T update(Function<State, T> change) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Path lockFile = file.resolveSibling(file.getFileName() + ".lock");
      try (FileChannel lockChannel =
              FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock lock = lockChannel.lock()) {
        State s = read();
        T result = change.apply(s);
        SecureFiles.writeAtomically(file, s.toJson());
        return result;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot update salt roots " + file + ": " + e.getMessage(), e);
    }
  }

  private State read() {
    if (!Files.exists(file)) {
      return new State(1, new ArrayList<>());
    }
    try {
      return State.parse(Files.readAllBytes(file), file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read salt roots " + file + ": " + e.getMessage(), e);
    }
  }

  private static final class State {
    long nextSequence;
    final List<SaltRoot> roots;

    State(long nextSequence, List<SaltRoot> roots) {
      this.nextSequence = nextSequence;
      this.roots = roots;
    }

    Optional<SaltRoot> active() {
      return roots.stream().filter(r -> r.state() == SaltRoot.State.ACTIVE).findFirst();
    }

    Optional<SaltRoot> find(String id) {
      return roots.stream().filter(r -> r.id().equals(id)).findFirst();
    }

    SaltRoot add(Instant now) {
      SaltRoot r =
          new SaltRoot(
              "root-" + nextSequence++,
              SaltRoot.State.ACTIVE,
              now,
              Optional.empty(),
              Optional.empty());
      roots.add(r);
      return r;
    }

    List<SaltRoot> replaceIf(
        java.util.function.Predicate<SaltRoot> which,
        java.util.function.UnaryOperator<SaltRoot> how) {
      List<SaltRoot> changed = new ArrayList<>();
      for (int i = 0; i < roots.size(); i++) {
        if (which.test(roots.get(i))) {
          SaltRoot n = how.apply(roots.get(i));
          roots.set(i, n);
          changed.add(n);
        }
      }
      return changed;
    }

    byte[] toJson() throws IOException {
      ObjectNode o = JSON.createObjectNode();
      o.put("format", FORMAT);
      o.put("version", 1);
      o.put("nextSequence", nextSequence);
      ArrayNode a = o.putArray("roots");
      for (SaltRoot r : roots) {
        ObjectNode n = a.addObject();
        n.put("id", r.id());
        n.put("state", r.state().name().toLowerCase(Locale.ROOT));
        n.put("created", r.created().toString());
        r.retired().ifPresent(t -> n.put("retired", t.toString()));
        r.expired().ifPresent(t -> n.put("expired", t.toString()));
      }
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(o);
    }

    static State parse(byte[] data, Path file) {
      try {
        JsonNode o = JSON.readTree(data);
        if (o == null || !o.isObject() || !FORMAT.equals(o.path("format").asText())) {
          throw bad(file, "format", "is not \"" + FORMAT + "\"");
        }
        if (o.path("version").asInt(-1) != 1) {
          throw bad(file, "version", "unsupported version " + o.path("version"));
        }
        JsonNode seq = o.path("nextSequence");
        if (!seq.canConvertToLong() || seq.asLong() < 1) {
          throw bad(file, "nextSequence", "must be a positive integer");
        }
        List<SaltRoot> roots = new ArrayList<>();
        int active = 0;
        for (JsonNode n : o.path("roots")) {
          SaltRoot r =
              new SaltRoot(
                  n.path("id").asText(),
                  SaltRoot.State.valueOf(n.path("state").asText().toUpperCase(Locale.ROOT)),
                  Instant.parse(n.path("created").asText()),
                  optionalInstant(n, "retired"),
                  optionalInstant(n, "expired"));
          if (r.state() == SaltRoot.State.ACTIVE) {
            active++;
          }
          roots.add(r);
        }
        if (active > 1) {
          throw bad(file, "roots", "has " + active + " active roots");
        }
        return new State(seq.asLong(), roots);
      } catch (IOException | IllegalArgumentException | DateTimeParseException e) {
        throw new CorruptDataException(
            "salt roots file " + file + " is corrupt: " + e.getMessage(), e);
      }
    }

    private static Optional<Instant> optionalInstant(JsonNode n, String field) {
      JsonNode v = n.get(field);
      return v == null || v.isNull() ? Optional.empty() : Optional.of(Instant.parse(v.asText()));
    }

    private static CorruptDataException bad(Path file, String field, String why) {
      return new CorruptDataException("salt roots file " + file + ": field " + field + " " + why);
    }
  }
}
