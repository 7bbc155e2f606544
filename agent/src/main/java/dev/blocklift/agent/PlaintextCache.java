package dev.blocklift.agent;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Decrypted chunks kept for {@link LazyDevice}s: an LRU bounded in bytes, either private to one
 * device or shared by every device of a worker (one budget however many images are mounted).
 * Entries are keyed by the owning device and chunk index, never by chunk name, so devices (and so
 * tenants) never read each other's plaintext through it.
 *
 * <p>A warm device serves a read from here with one copy and no crypto; this is what makes random 4
 * KiB reads through FUSE cheap. Its size is the trade between that and plaintext held in memory.
 */
public final class PlaintextCache {
  private record Key(Object owner, int index) {}

  private final long capacity;
  private final LinkedHashMap<Key, byte[]> entries = new LinkedHashMap<>(64, 0.75f, true);
  private long bytes;

  /**
   * A cache holding at most {@code capacityBytes} of plaintext (0 = keep nothing).
   *
   * @throws IllegalArgumentException if {@code capacityBytes} is negative
   */
  public PlaintextCache(long capacityBytes) {
    if (capacityBytes < 0) {
      throw new IllegalArgumentException(
          "plaintext cache size must not be negative, got " + capacityBytes);
    }
    this.capacity = capacityBytes;
  }

  public long capacity() {
    return capacity;
  }

  /** Bytes held now. */
  public synchronized long size() {
    return bytes;
  }

  /** The plaintext of chunk {@code index} of {@code owner}, or null (and counts as a use). */
  synchronized byte[] get(Object owner, int index) {
    return entries.get(new Key(owner, index));
  }

  synchronized boolean contains(Object owner, int index) {
    return entries.containsKey(new Key(owner, index));
  }

  /** Keeps {@code plaintext}, evicting least recently used chunks to stay within capacity. */
  synchronized void put(Object owner, int index, byte[] plaintext) {
    if (plaintext.length > capacity) {
      return;
    }
    byte[] old = entries.put(new Key(owner, index), plaintext);
    bytes += plaintext.length - (old == null ? 0 : old.length);
    Iterator<byte[]> eldest = entries.values().iterator();
    while (bytes > capacity && eldest.hasNext()) {
      bytes -= eldest.next().length;
      eldest.remove();
    }
  }

  /** Drops every chunk of {@code owner} (a device being closed). */
  synchronized void invalidate(Object owner) {
    Iterator<Map.Entry<Key, byte[]>> it = entries.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Key, byte[]> e = it.next();
      if (e.getKey().owner() == owner) {
        bytes -= e.getValue().length;
        it.remove();
      }
    }
  }
}
