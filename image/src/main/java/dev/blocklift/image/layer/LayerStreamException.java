package dev.blocklift.image.layer;

import java.io.IOException;

/**
 * A layer stream broke: the source failed, or the compressed data is corrupt or truncated. The
 * message is complete: the layer, what was being read, at which byte, and why; {@link #detail()} is
 * the same without the layer, for callers that name the layer and entry themselves.
 */
public final class LayerStreamException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String detail;
  private final boolean corrupt;

  private LayerStreamException(String layer, String detail, boolean corrupt, Throwable cause) {
    super(layer + ": " + detail, cause);
    this.detail = detail;
    this.corrupt = corrupt;
  }

  /**
   * The bytes are bad (a decompressor refused them).
   *
   * @param layer how messages name the layer, e.g. {@code layer 0 (sha256:...)}
   * @param detail what was being read, at which byte, and why
   */
  static LayerStreamException corrupt(String layer, String detail, Throwable cause) {
    return new LayerStreamException(layer, detail, true, cause);
  }

  /** The source failed to deliver the bytes (a read error, a dropped connection). */
  static LayerStreamException sourceFailed(String layer, String detail, Throwable cause) {
    return new LayerStreamException(layer, detail, false, cause);
  }

  public String detail() {
    return detail;
  }

  /** Whether the data is corrupt (true) or the source failed to deliver it (false). */
  public boolean corrupt() {
    return corrupt;
  }
}
