package dev.blocklift.chunk;

import dev.blocklift.core.Sha256;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Locale;
import java.util.SplittableRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Single-thread (per core) throughput of the chunk crypto on this CPU, after a warm-up, over 512
 * KiB chunks: raw SHA-256, raw AES-256-GCM encryption (64 KiB {@code update} slices), convergent
 * encryption (key + zstd attempt + frame + encrypt + name, {@link ConvergentEncryption#encrypt})
 * and verified decryption (name + GCM + frame, {@link ConvergentEncryption#decrypt}) of a random
 * (incompressible, so stored raw) chunk, and the same two of a compressible chunk (random nibbles:
 * stored zstd at about half its size). Used by bench/ as the ceiling a conversion is compared
 * against.
 *
 * <p>{@code java -cp ... dev.blocklift.chunk.ChunkCryptoBench [--warmup SECONDS] [--seconds
 * SECONDS] [--json]}
 */
public final class ChunkCryptoBench {
  private static final int CHUNK = 512 * 1024;

  /** Throughputs in MB (10^6 bytes of plaintext) per CPU-second of one thread. */
  public record Results(
      double sha256MBps,
      double aesGcmMBps,
      double convergentEncryptMBps,
      double decryptMBps,
      double zstdEncryptMBps,
      double zstdDecryptMBps) {
    public String toJson() {
      return String.format(
          Locale.ROOT,
          "{\"sha256MBps\":%.1f,\"aesGcmMBps\":%.1f,\"convergentEncryptMBps\":%.1f,"
              + "\"decryptMBps\":%.1f,\"zstdEncryptMBps\":%.1f,\"zstdDecryptMBps\":%.1f}",
          sha256MBps,
          aesGcmMBps,
          convergentEncryptMBps,
          decryptMBps,
          zstdEncryptMBps,
          zstdDecryptMBps);
    }

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "SHA-256 %.0f MB/s, AES-256-GCM %.0f MB/s, key+encrypt+name %.0f MB/s,"
              + " verify+decrypt %.0f MB/s; compressible chunk: encrypt %.0f MB/s,"
              + " decrypt %.0f MB/s (per CPU-second of one core, 512 KiB chunks)",
          sha256MBps,
          aesGcmMBps,
          convergentEncryptMBps,
          decryptMBps,
          zstdEncryptMBps,
          zstdDecryptMBps);
    }
  }

  private ChunkCryptoBench() {}

  /** Runs each measurement for {@code warmup} then {@code measure} of CPU time on this thread. */
  public static Results run(Duration warmup, Duration measure) {
    byte[] p = new byte[CHUNK];
    new SplittableRandom(1).nextBytes(p);
    Salt salt = Salt.of(java.util.Arrays.copyOf(p, 32));
    EncryptedChunk e = ConvergentEncryption.encrypt(salt, p, Compression.ZSTD);
    byte[] q = new byte[CHUNK];
    for (int i = 0; i < CHUNK; i++) {
      q[i] = (byte) (p[i] & 0x0f);
    }
    EncryptedChunk z = ConvergentEncryption.encrypt(salt, q, Compression.ZSTD);

    Runnable sha =
        () -> {
          MessageDigest md = Sha256.newDigest();
          for (int i = 0; i < CHUNK; i += ConvergentEncryption.SLICE) {
            md.update(p, i, ConvergentEncryption.SLICE);
          }
          sink(md.digest()[0]);
        };
    byte[] out = new byte[CHUNK + 16];
    byte[] key = e.key().bytes();
    byte[][] nonce = {new byte[12]};
    Runnable gcm =
        () -> {
          try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            // a fresh nonce each time: the JDK refuses to reuse a key+nonce pair on one Cipher
            nonce[0][0]++;
            c.init(
                Cipher.ENCRYPT_MODE,
                new SecretKeySpec(key, "AES"),
                new GCMParameterSpec(128, nonce[0]));
            int o = 0;
            for (int i = 0; i < CHUNK; i += ConvergentEncryption.SLICE) {
              o += c.update(p, i, ConvergentEncryption.SLICE, out, o);
            }
            c.doFinal(out, o);
            sink(out[0]);
          } catch (GeneralSecurityException x) {
            throw new IllegalStateException(x);
          }
        };
    Runnable convergent =
        () -> sink(ConvergentEncryption.encrypt(salt, p, Compression.ZSTD).ciphertext()[0]);
    Runnable decrypt = () -> sink(decrypt(e, salt)[0]);
    Runnable zstdEncrypt =
        () -> sink(ConvergentEncryption.encrypt(salt, q, Compression.ZSTD).ciphertext()[0]);
    Runnable zstdDecrypt = () -> sink(decrypt(z, salt)[0]);
    return new Results(
        measure(sha, warmup, measure),
        measure(gcm, warmup, measure),
        measure(convergent, warmup, measure),
        measure(decrypt, warmup, measure),
        measure(zstdEncrypt, warmup, measure),
        measure(zstdDecrypt, warmup, measure));
  }

  private static byte[] decrypt(EncryptedChunk e, Salt salt) {
    return ConvergentEncryption.decrypt(
        ChunkFormat.CURRENT, e.name(), e.key(), salt, e.ciphertext(), CHUNK, "bench");
  }

  private static final java.util.concurrent.atomic.AtomicLong SINK =
      new java.util.concurrent.atomic.AtomicLong();

  /** Keeps results alive so the JIT cannot drop the work. */
  private static void sink(byte b) {
    SINK.addAndGet(b);
  }

  /**
   * MB per second of this thread's CPU time (wall time if the JVM cannot measure thread CPU time),
   * so a machine shared with other work still gives the per-core figure.
   */
  private static double measure(Runnable op, Duration warmup, Duration measure) {
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    boolean cpu = mx.isCurrentThreadCpuTimeSupported();
    long warm = cpu ? mx.getCurrentThreadCpuTime() : System.nanoTime();
    while ((cpu ? mx.getCurrentThreadCpuTime() : System.nanoTime()) - warm < warmup.toNanos()) {
      op.run();
    }
    long start = cpu ? mx.getCurrentThreadCpuTime() : System.nanoTime();
    long n = 0;
    long now;
    do {
      op.run();
      n++;
      now = cpu ? mx.getCurrentThreadCpuTime() : System.nanoTime();
    } while (now - start < measure.toNanos());
    return n * (double) CHUNK / ((now - start) / 1e9) / 1e6;
  }

  public static void main(String[] args) {
    double warmup = 2;
    double seconds = 3;
    boolean json = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--warmup" -> warmup = Double.parseDouble(value(args, ++i));
        case "--seconds" -> seconds = Double.parseDouble(value(args, ++i));
        case "--json" -> json = true;
        default ->
            throw new IllegalArgumentException(
                "unknown option \"" + args[i] + "\"; use --warmup S, --seconds S, --json");
      }
    }
    Results r =
        run(Duration.ofMillis((long) (warmup * 1000)), Duration.ofMillis((long) (seconds * 1000)));
    System.out.println(json ? r.toJson() : r.toString());
  }

  private static String value(String[] args, int i) {
    if (i >= args.length) {
      throw new IllegalArgumentException("option " + args[i - 1] + " needs a value");
    }
    return args[i];
  }
}
