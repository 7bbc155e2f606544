package dev.blocklift.chunk;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptChunkException;
import java.util.Arrays;

/**
 * The frame of chunk format 1 (docs/chunk-format.md): what is encrypted is {@code F = kind ‖ body},
 * with kind {@link #RAW} (body = the plaintext) or {@link #ZSTD} (body = one zstd frame of the
 * plaintext at level {@link #LEVEL}, declaring its content size, without checksum or dictionary
 * id). A plaintext is stored as zstd only if that saves at least {@link #minimumSaving} bytes.
 *
 * <p>Decoding is bounded by the chunk length the manifest gives: a zstd body must declare exactly
 * that content size, be exactly one frame, and decompress into a buffer of exactly that length, so
 * a frame that claims or produces more is refused without allocating more.
 *
 * <p>zstd contexts are not thread-safe; a small {@link Pool} reuses them (and the compression
 * buffer) across calls and threads.
 */
final class ChunkFrame {
  static final int RAW = 0;
  static final int ZSTD = 1;

  /** The zstd level of chunk format 1. Part of the format: another level gives other names. */
  static final int LEVEL = 3;

  private static final Pool<Compressor> COMPRESSORS = new Pool<>(Pool.perCore(), Compressor::new);
  private static final Pool<Decompressor> DECOMPRESSORS =
      new Pool<>(Pool.perCore(), Decompressor::new);

  private ChunkFrame() {}

  /** Receives an encoded frame as its kind byte and body. */
  @FunctionalInterface
  interface Sink<T> {
    T frame(int kind, byte[] body, int offset, int length);
  }

  /** Bytes zstd must save for a chunk of {@code length} bytes to be stored compressed: 1/32. */
  static int minimumSaving(int length) {
    return Math.ceilDiv(length, 32);
  }

  /**
   * Encodes {@code plaintext[offset, offset+length)} and hands the frame to {@code sink}; the body
   * array is only valid during the call (it may be a pooled buffer).
   */
  static <T> T encode(
      byte[] plaintext, int offset, int length, Compression compression, Sink<T> sink) {
    if (compression == Compression.NONE) {
      return sink.frame(RAW, plaintext, offset, length);
    }
    Compressor c = COMPRESSORS.take();
    try {
      int n = c.compress(plaintext, offset, length);
      if (n <= length - minimumSaving(length)) {
        return sink.frame(ZSTD, c.out, 0, n);
      }
      return sink.frame(RAW, plaintext, offset, length);
    } finally {
      COMPRESSORS.give(c);
    }
  }

  /**
   * Decodes the (already authenticated) frame {@code frame[offset, offset+frameLength)} into the
   * chunk's {@code length} plaintext bytes.
   *
   * @throws CorruptChunkException for an unknown kind, a body of the wrong size, or a zstd body
   *     that does not declare exactly {@code length} bytes, is not exactly one frame, or does not
   *     decompress to exactly {@code length} bytes
   */
  static byte[] decode(
      byte[] frame, int offset, int frameLength, int length, ChunkName name, String where) {
    if (frameLength < 1) {
      throw new CorruptChunkException(name, where, "empty chunk frame");
    }
    int kind = frame[offset] & 0xff;
    int bodyOffset = offset + 1;
    int bodyLength = frameLength - 1;
    return switch (kind) {
      case RAW -> {
        if (bodyLength != length) {
          throw new CorruptChunkException(
              name, where, "raw frame of " + bodyLength + " bytes, the chunk has " + length);
        }
        yield Arrays.copyOfRange(frame, bodyOffset, bodyOffset + bodyLength);
      }
      case ZSTD -> inflate(frame, bodyOffset, bodyLength, length, name, where);
      default ->
          throw new CorruptChunkException(
              name, where, "unknown chunk frame kind " + kind + " (0 = raw, 1 = zstd)");
    };
  }

  private static byte[] inflate(
      byte[] src, int offset, int srcLength, int length, ChunkName name, String where) {
    if (srcLength < 1) {
      throw new CorruptChunkException(name, where, "empty zstd frame");
    }
    long declared = Zstd.getFrameContentSize(src, offset, srcLength);
    if (declared != length) {
      throw new CorruptChunkException(
          name,
          where,
          declared < 0
              ? "zstd frame does not declare its content size (" + declared + ")"
              : "zstd frame declares " + declared + " bytes, the chunk has " + length);
    }
    long frameSize = Zstd.findFrameCompressedSize(src, offset, srcLength);
    if (Zstd.isError(frameSize) || frameSize != srcLength) {
      throw new CorruptChunkException(
          name,
          where,
          Zstd.isError(frameSize)
              ? "bad zstd frame: " + Zstd.getErrorName(frameSize)
              : "zstd frame of " + frameSize + " bytes followed by " + (srcLength - frameSize));
    }
    byte[] out = new byte[length];
    Decompressor d = DECOMPRESSORS.take();
    try {
      int n = d.ctx.decompressByteArray(out, 0, length, src, offset, srcLength);
      if (n != length) {
        throw new CorruptChunkException(
            name, where, "zstd frame decompressed to " + n + " bytes, the chunk has " + length);
      }
      return out;
    } catch (ZstdException e) {
      throw new CorruptChunkException(
          name, where, "zstd frame does not decompress: " + e.getMessage(), e);
    } finally {
      DECOMPRESSORS.give(d);
    }
  }

  /** A zstd compression context set up for chunk format 1, and its output buffer. */
  private static final class Compressor implements AutoCloseable {
    final ZstdCompressCtx ctx =
        new ZstdCompressCtx()
            .setLevel(LEVEL)
            .setChecksum(false)
            .setContentSize(true)
            .setDictID(false)
            .setWorkers(0);
    byte[] out = new byte[0];

    int compress(byte[] src, int offset, int length) {
      long bound = Zstd.compressBound(length);
      if (out.length < bound) {
        out = new byte[Math.toIntExact(bound)];
      }
      return ctx.compressByteArray(out, 0, out.length, src, offset, length);
    }

    @Override
    public void close() {
      ctx.close();
    }
  }

  private static final class Decompressor implements AutoCloseable {
    final ZstdDecompressCtx ctx = new ZstdDecompressCtx();

    @Override
    public void close() {
      ctx.close();
    }
  }
}
