package dev.blocklift.image;

import dev.blocklift.core.Digest;

/** An OCI content descriptor: what a blob is, its digest, and its declared size. */
public record Descriptor(String mediaType, Digest digest, long size) {
  public Descriptor {
    if (size < 0) {
      throw new IllegalArgumentException("negative blob size " + size + " for " + digest);
    }
  }
}
