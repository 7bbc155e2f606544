package dev.blocklift.store;

import dev.blocklift.core.ChunkName;
import java.io.IOException;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The in-memory {@link ChunkSource} of the tests: holds chunks in a map and counts its reads (in
 * all, per chunk, and the most in flight at once). It can be gated (reads held at a {@link Gate}
 * until the test opens it: a slow or hung store) and made faulty (every read fails with an I/O
 * error, or returns bytes with one bit flipped: a broken or lying store). Arrays handed in and out
 * are copies.
 */
public final class FakeChunkSource implements ChunkSource {
  private final String description;
  private final Map<ChunkName, byte[]> chunks = new ConcurrentHashMap<>();
  private final Map<ChunkName, AtomicInteger> getsPerChunk = new ConcurrentHashMap<>();
  private final AtomicInteger gets = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private volatile Gate gate = Gate.opened();
  private volatile IOException failure;
  private volatile boolean corrupt;

  /** An empty source described as {@code fake}. */
  public FakeChunkSource() {
    this("fake");
  }

  /** An empty source with the given {@link #describe()} (messages name it). */
  public FakeChunkSource(String description) {
    if (description.isBlank()) {
      throw new IllegalArgumentException(
          "a fake source needs a description, got \"" + description + "\"");
    }
    this.description = description;
  }

  /** A source serving exactly {@code chunks}. */
  public static FakeChunkSource of(Map<ChunkName, byte[]> chunks) {
    FakeChunkSource s = new FakeChunkSource();
    chunks.forEach(s::put);
    return s;
  }

  /** Stores {@code ciphertext} under its content name, which it returns. */
  public ChunkName add(byte[] ciphertext) {
    ChunkName name = ChunkName.ofCiphertext(ciphertext);
    put(name, ciphertext);
    return name;
  }

  /** Stores {@code bytes} under {@code name}. */
  public void put(ChunkName name, byte[] bytes) {
    chunks.put(name, bytes.clone());
  }

  /** Forgets {@code name}; returns what it held, or null. */
  public byte[] remove(ChunkName name) {
    return chunks.remove(name);
  }

  /** Forgets every chunk. */
  public void clear() {
    chunks.clear();
  }

  /** The chunks held, live and read-only (tests compare them with what they put in). */
  public Map<ChunkName, byte[]> chunks() {
    return Collections.unmodifiableMap(chunks);
  }

  /** Reads from now on wait at {@code gate} before they answer. */
  public void gate(Gate gate) {
    this.gate = gate;
  }

  /** Closes a new gate in front of the reads, and returns it. */
  public Gate hold() {
    Gate g = Gate.closed();
    gate = g;
    return g;
  }

  /** Reads from now on fail with an I/O error carrying {@code cause}'s message (null: heal). */
  public void failWith(IOException cause) {
    this.failure = cause;
  }

  /** Whether reads from now on return the bytes with one bit flipped (a lying store). */
  public void corruptReads(boolean corrupt) {
    this.corrupt = corrupt;
  }

  @Override
  public Optional<byte[]> get(ChunkName name) throws IOException {
    gets.incrementAndGet();
    getsPerChunk.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
    maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
    try {
      gate.pass("read of " + name + " from " + description);
      IOException fail = failure;
      if (fail != null) {
        throw new IOException(fail.getMessage(), fail);
      }
      byte[] b = chunks.get(name);
      if (b == null) {
        return Optional.empty();
      }
      return Optional.of(corrupt ? flipOneBit(b) : b.clone());
    } finally {
      inFlight.decrementAndGet();
    }
  }

  private static byte[] flipOneBit(byte[] b) {
    if (b.length == 0) {
      return new byte[] {1};
    }
    byte[] out = b.clone();
    out[out.length / 2] ^= 1;
    return out;
  }

  @Override
  public boolean exists(ChunkName name) {
    return chunks.containsKey(name);
  }

  @Override
  public String describe() {
    return description;
  }

  /** Reads asked of this source (each {@link #get}, answered or not). */
  public int gets() {
    return gets.get();
  }

  /** Reads asked of this source for {@code name}. */
  public int gets(ChunkName name) {
    AtomicInteger c = getsPerChunk.get(name);
    return c == null ? 0 : c.get();
  }

  /** Reads in flight now (held at the gate included). */
  public int inFlight() {
    return inFlight.get();
  }

  /** The most reads ever in flight at once. */
  public int maxInFlight() {
    return maxInFlight.get();
  }
}
