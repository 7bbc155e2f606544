package dev.blocklift.fleet.coding;

import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptDataException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * One erasure-coded shard as it travels and is stored: a 16-byte header, the payload and a CRC32C
 * trailer.
 *
 * <pre>
 * offset size  field
 *  0      4    magic "BLS1"
 *  4      1    k (data shards)
 *  5      1    m (parity shards)
 *  6      1    index of this shard, 0 ≤ index < k + m (0..k-1 are data, k.. are parity)
 *  7      1    reserved, 0
 *  8      4    original chunk length, big-endian
 * 12      4    payload length = ceil(chunk length / k), big-endian
 * 16      n    payload
 * 16+n    4    CRC32C of (the 32 raw bytes of the chunk name ‖ header ‖ payload), big-endian
 * </pre>
 *
 * The checksum covers the chunk name, so a shard of another chunk is rejected as well as a flipped
 * bit. CRC32C is for detecting accidents (disk, memory, a buggy node): it is not a cryptographic
 * check; the reassembled chunk is always verified against its SHA-256 name as well.
 */
public final class Shard {
  public static final int HEADER = 16;
  public static final int TRAILER = 4;
  static final int MAGIC = 0x424c5331; // "BLS1"

  private final int k;
  private final int m;
  private final int index;
  private final int chunkLength;
  private final byte[] wire;

  private Shard(int k, int m, int index, int chunkLength, byte[] wire) {
    this.k = k;
    this.m = m;
    this.index = index;
    this.chunkLength = chunkLength;
    this.wire = wire;
  }

  public int k() {
    return k;
  }

  public int m() {
    return m;
  }

  public int index() {
    return index;
  }

  public int chunkLength() {
    return chunkLength;
  }

  /** The complete encoded shard (header, payload, checksum); not a copy, do not modify. */
  public byte[] wire() {
    return wire;
  }

  /** Payload bytes of a shard for a chunk of {@code chunkLength} bytes split {@code k} ways. */
  public static int payloadLength(int chunkLength, int k) {
    return (int) ((chunkLength + (long) k - 1) / k);
  }

  public int payloadLength() {
    return wire.length - HEADER - TRAILER;
  }

  /** Wire size of a shard with the given payload size. */
  public static int wireLength(int payloadLength) {
    return HEADER + payloadLength + TRAILER;
  }

  /**
   * Builds a shard around {@code payload} (copied) and computes its checksum.
   *
   * @throws IllegalArgumentException if the parameters are inconsistent
   */
  public static Shard create(
      ChunkName name, int k, int m, int index, int chunkLength, byte[] payload, int offset) {
    checkHeader(k, m, index, chunkLength);
    int len = payloadLength(chunkLength, k);
    byte[] wire = new byte[wireLength(len)];
    ByteBuffer b = ByteBuffer.wrap(wire);
    b.putInt(MAGIC).put((byte) k).put((byte) m).put((byte) index).put((byte) 0);
    b.putInt(chunkLength).putInt(len);
    System.arraycopy(payload, offset, wire, HEADER, len);
    b.putInt(HEADER + len, checksum(name, wire, HEADER + len));
    return new Shard(k, m, index, chunkLength, wire);
  }

  /**
   * Parses and verifies a shard received for {@code name}.
   *
   * @param expectedIndex the index it was requested or stored under, or -1 for any
   * @param maxChunkLength the largest chunk accepted
   * @throws CorruptDataException with the reason if it is malformed or its checksum is wrong
   */
  public static Shard parse(ChunkName name, int expectedIndex, byte[] wire, int maxChunkLength) {
    if (wire.length < HEADER + TRAILER) {
      throw new CorruptDataException(
          "shard of "
              + wire.length
              + " bytes is shorter than its "
              + (HEADER + TRAILER)
              + "-byte frame");
    }
    ByteBuffer b = ByteBuffer.wrap(wire);
    int magic = b.getInt();
    if (magic != MAGIC) {
      throw new CorruptDataException(
          "shard does not start with magic BLS1 (got 0x" + Integer.toHexString(magic) + ")");
    }
    int k = b.get() & 0xff;
    int m = b.get() & 0xff;
    int index = b.get() & 0xff;
    int reserved = b.get();
    int chunkLength = b.getInt();
    int len = b.getInt();
    if (reserved != 0) {
      throw new CorruptDataException("shard header reserved byte is " + reserved + ", not 0");
    }
    try {
      checkHeader(k, m, index, chunkLength);
    } catch (IllegalArgumentException e) {
      throw new CorruptDataException("bad shard header: " + e.getMessage(), e);
    }
    if (chunkLength > maxChunkLength) {
      throw new CorruptDataException(
          "shard claims a chunk of "
              + chunkLength
              + " bytes, more than the limit "
              + maxChunkLength);
    }
    if (expectedIndex >= 0 && index != expectedIndex) {
      throw new CorruptDataException(
          "shard header says index " + index + " but it was sent as index " + expectedIndex);
    }
    if (len != payloadLength(chunkLength, k) || wire.length != wireLength(len)) {
      throw new CorruptDataException(
          "shard payload length "
              + len
              + " / frame "
              + wire.length
              + " bytes do not match chunk length "
              + chunkLength
              + " split "
              + k
              + " ways");
    }
    int stored = b.getInt(HEADER + len);
    int actual = checksum(name, wire, HEADER + len);
    if (stored != actual) {
      throw new CorruptDataException(
          String.format(
              java.util.Locale.ROOT,
              "shard %d of chunk %s fails its CRC32C (stored %08x, computed %08x)",
              index,
              name,
              stored,
              actual));
    }
    return new Shard(k, m, index, chunkLength, wire);
  }

  private static void checkHeader(int k, int m, int index, int chunkLength) {
    if (k < 1 || m < 0 || k + m > 255) {
      throw new IllegalArgumentException("k=" + k + " m=" + m + " out of range");
    }
    if (index < 0 || index >= k + m) {
      throw new IllegalArgumentException("index " + index + " not below k+m=" + (k + m));
    }
    if (chunkLength < 0) {
      throw new IllegalArgumentException("negative chunk length " + chunkLength);
    }
  }

  static int checksum(ChunkName name, byte[] wire, int length) {
    CRC32C crc = new CRC32C();
    crc.update(name.bytes());
    crc.update(wire, 0, length);
    return (int) crc.getValue();
  }

  /** Copies the payload into {@code dest} at {@code offset}. */
  public void copyPayload(byte[] dest, int offset) {
    System.arraycopy(wire, HEADER, dest, offset, payloadLength());
  }
}
