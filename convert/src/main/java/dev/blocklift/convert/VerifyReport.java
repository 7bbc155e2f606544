package dev.blocklift.convert;

import dev.blocklift.core.ChunkName;
import dev.blocklift.core.ImageName;
import java.util.List;

/**
 * The outcome of {@code blocklift verify}: every distinct chunk fetched, checked against its name,
 * decrypted and authenticated with the tenant's key.
 *
 * @param checked distinct chunks checked
 * @param problems what was wrong, by chunk; empty if the image is whole
 */
public record VerifyReport(ImageName name, int checked, List<Problem> problems) {
  /** What can be wrong with one chunk. */
  public enum Kind {
    MISSING,
    CORRUPT,
    UNREADABLE
  }

  /** One bad chunk, first index that uses it, and why. */
  public record Problem(int index, ChunkName chunk, Kind kind, String detail) {}

  public VerifyReport {
    problems = List.copyOf(problems);
  }

  public boolean ok() {
    return problems.isEmpty();
  }
}
