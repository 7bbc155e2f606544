package dev.blocklift.image.layer;

import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.Digest;

/**
 * A layer's bytes do not have the digest the manifest or config promised. The message names the
 * layer, which digest was checked (the blob digest of the raw bytes, or the diff_id of the
 * uncompressed tar), the expected and the actual digest.
 */
public final class DigestMismatchException extends CorruptDataException {
  private static final long serialVersionUID = 1L;

  /** Which digest of a layer was checked. */
  public enum Checked {
    /** The digest of the raw (compressed) blob, from the manifest's layer descriptor. */
    BLOB_DIGEST("blob digest", "of the raw blob"),
    /** The digest of the uncompressed tar, from the config's rootfs.diff_ids. */
    DIFF_ID("diff_id", "of the uncompressed tar");

    private final String label;
    private final String of;

    Checked(String label, String of) {
      this.label = label;
      this.of = of;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  private final Checked checked;
  private final Digest expected;
  private final Digest actual;

  public DigestMismatchException(String layer, Checked checked, Digest expected, Digest actual) {
    super(
        layer
            + " "
            + checked
            + " mismatch: expected "
            + expected
            + ", actual "
            + actual
            + " (the digest "
            + checked.of
            + ")");
    this.checked = checked;
    this.expected = expected;
    this.actual = actual;
  }

  public Checked checked() {
    return checked;
  }

  public Digest expected() {
    return expected;
  }

  public Digest actual() {
    return actual;
  }
}
