package dev.blocklift.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.cryptomator.jfuse.api.FuseConnInfo;
import org.junit.jupiter.api.Test;

/** What DeviceFs asks of the kernel at init (no FUSE needed: the connection info is a fake). */
class DeviceFsTest {
  /** The kernel's offer as libfuse hands it to init: capable flags, and what is wanted so far. */
  static final class Conn implements FuseConnInfo {
    final int capable;
    int want;
    int maxReadahead = 128 * 1024;

    Conn(int capable, int want) {
      this.capable = capable;
      this.want = want;
    }

    @Override
    public int protoMajor() {
      return 7;
    }

    @Override
    public int protoMinor() {
      return 38;
    }

    @Override
    public int capable() {
      return capable;
    }

    @Override
    public int want() {
      return want;
    }

    @Override
    public void setWant(int wanted) {
      this.want = wanted;
    }

    @Override
    public int maxWrite() {
      return 128 * 1024;
    }

    @Override
    public void setMaxWrite(int maxWrite) {}

    @Override
    public int maxReadahead() {
      return maxReadahead;
    }

    @Override
    public void setMaxReadahead(int maxReadahead) {
      this.maxReadahead = maxReadahead;
    }

    @Override
    public int maxBackground() {
      return 12;
    }

    @Override
    public void setMaxBackground(int maxBackground) {}

    @Override
    public int congestionThreshold() {
      return 9;
    }

    @Override
    public void setCongestionThreshold(int congestionThreshold) {}
  }

  @Test
  void initAsksForAsyncReadsAndDirectIoAndKeepsWhatWasWanted() {
    int capable =
        FuseConnInfo.FUSE_CAP_ASYNC_READ
            | FuseConnInfo.FUSE_CAP_ASYNC_DIO
            | FuseConnInfo.FUSE_CAP_READDIRPLUS;
    Conn conn = new Conn(capable, FuseConnInfo.FUSE_CAP_READDIRPLUS);
    new DeviceFs(null).init(conn, null);
    assertEquals(capable, conn.want);
  }

  @Test
  void initNeverWantsWhatTheKernelCannotDo() {
    Conn conn = new Conn(FuseConnInfo.FUSE_CAP_ASYNC_READ, 0);
    new DeviceFs(null).init(conn, null);
    assertEquals(FuseConnInfo.FUSE_CAP_ASYNC_READ, conn.want);
    assertTrue((conn.want & FuseConnInfo.FUSE_CAP_ASYNC_DIO) == 0);
  }
}
