package dev.blocklift.testing.oci;

/** How a fixture layer blob is compressed. */
public enum Compression {
  PLAIN("application/vnd.oci.image.layer.v1.tar"),
  GZIP("application/vnd.oci.image.layer.v1.tar+gzip"),
  ZSTD("application/vnd.oci.image.layer.v1.tar+zstd");

  private final String mediaType;

  Compression(String mediaType) {
    this.mediaType = mediaType;
  }

  public String ociMediaType() {
    return mediaType;
  }
}
