package dev.blocklift.agent;

/**
 * What INIT settled between the kernel and this server: the protocol minor in use, the flags both
 * sides agreed on, and the sizes the kernel will respect. Persisted so a server that takes over a
 * live connection (which sees no second INIT) knows them.
 */
record FuseInit(int minor, int flags, int maxReadahead, int maxWrite, int maxPages) {
  /** What this server asks for, when the kernel offers it. */
  static final int WANTED =
      FuseProto.ASYNC_READ | FuseProto.ASYNC_DIO | FuseProto.BIG_WRITES | FuseProto.MAX_PAGES;

  FuseInit {
    if (minor < 0 || maxWrite < 4096 || maxPages < 1 || maxReadahead < 0) {
      throw new IllegalArgumentException(
          "bad FUSE init parameters: minor "
              + minor
              + ", max_write "
              + maxWrite
              + ", max_pages "
              + maxPages
              + ", max_readahead "
              + maxReadahead);
    }
  }

  /** The answer to the kernel's offer ({@code kernelMinor}, {@code kernelFlags}, readahead). */
  static FuseInit negotiate(
      int kernelMinor, int kernelFlags, int kernelReadahead, int maxWrite, int maxPages) {
    return new FuseInit(
        Math.min(kernelMinor, FuseProto.MINOR),
        kernelFlags & WANTED,
        kernelReadahead,
        maxWrite,
        maxPages);
  }

  /** The largest READ this server answers (the kernel splits larger reads). */
  int maxRead() {
    return maxPages * 4096;
  }
}
