package dev.blocklift.chunk;

import java.util.Locale;

/**
 * Whether a conversion compresses chunk bodies before encrypting them (docs/chunk-format.md, chunk
 * format 1). {@link #ZSTD} is the default; a chunk that does not compress is stored raw either way.
 */
public enum Compression {
  /** Every chunk body is stored raw. */
  NONE,
  /** Chunk bodies are zstd-compressed at a fixed level, unless that does not pay off. */
  ZSTD;

  public static final Compression DEFAULT = ZSTD;

  /** Parses {@code none} or {@code zstd} (any case); the message echoes the bad value. */
  public static Compression parse(String text) {
    if (text != null) {
      for (Compression c : values()) {
        if (c.cliName().equalsIgnoreCase(text.strip())) {
          return c;
        }
      }
    }
    throw new IllegalArgumentException("compression must be zstd or none, got \"" + text + "\"");
  }

  /** The lower-case name used on the command line and in JSON: {@code none}, {@code zstd}. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  @Override
  public String toString() {
    return cliName();
  }
}
