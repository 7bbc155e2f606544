package dev.blocklift.image.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.blocklift.testing.oci.TarEntry;
import dev.blocklift.testing.oci.TarWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Random entries written by the fixture writer read back field for field (seeded, printed). */
class TarRoundTripTest {
  private static String name(SplittableRandom r) {
    int parts = 1 + r.nextInt(4);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < parts; i++) {
      if (i > 0) {
        b.append('/');
      }
      int len = 1 + r.nextInt(r.nextInt(10) == 0 ? 200 : 12);
      for (int j = 0; j < len; j++) {
        b.append((char) ('a' + r.nextInt(26)));
      }
    }
    return r.nextInt(8) == 0 ? b + "-é€" : b.toString();
  }

  private static TarEntry random(SplittableRandom r) {
    String n = name(r);
    TarEntry e =
        switch (r.nextInt(6)) {
          case 0 -> TarEntry.directory(n + "/");
          case 1 -> TarEntry.symlink(n, name(r));
          case 2 -> TarEntry.hardLink(n, name(r));
          case 3 -> TarEntry.charDevice(n, r.nextInt(4096), r.nextInt(1 << 20));
          case 4 -> TarEntry.fifo(n);
          default -> {
            byte[] data = new byte[r.nextInt(3) == 0 ? 0 : r.nextInt(5000)];
            for (int i = 0; i < data.length; i++) {
              data[i] = (byte) r.nextInt(256);
            }
            yield TarEntry.file(n, data);
          }
        };
    e = e.withMode(r.nextInt(07777 + 1));
    e = e.withOwner(r.nextInt(4) == 0 ? r.nextLong(1L << 32) : r.nextInt(70000), r.nextInt(70000));
    e =
        e.withMtime(
            r.nextLong(-(1L << 33), 1L << 34), r.nextInt(3) == 0 ? r.nextInt(1_000_000_000) : 0);
    if (r.nextInt(3) == 0) {
      byte[] v = new byte[r.nextInt(40)];
      for (int i = 0; i < v.length; i++) {
        v[i] = (byte) r.nextInt(256); // binary, incl. bytes >= 0x80
      }
      e = e.withXattr(r.nextBoolean() ? "security.capability" : "user.x" + r.nextInt(5), v);
    }
    if (r.nextInt(5) == 0) {
      e = e.withGnuLongNames();
    }
    if (r.nextInt(4) == 0) {
      // Names of raw bytes that need not be UTF-8 (PAX with hdrcharset=BINARY, or GNU records).
      byte[] raw = e.nameBytes();
      for (int i = 0; i < raw.length; i++) {
        if (raw[i] != '/' && r.nextInt(3) == 0) {
          raw[i] = (byte) (0x80 + r.nextInt(128));
        }
      }
      e = e.withNameBytes(raw);
    }
    return e;
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 42, 20261123})
  void randomEntriesRoundTrip(long seed) throws Exception {
    SplittableRandom r = new SplittableRandom(seed);
    List<TarEntry> entries = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      entries.add(random(r));
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter w = new TarWriter(out);
    for (TarEntry e : entries) {
      w.write(e);
    }
    w.finish();
    TarReader reader = new TarReader(new ByteArrayInputStream(out.toByteArray()));
    for (int i = 0; i < entries.size(); i++) {
      TarEntry e = entries.get(i);
      TarHeader h = reader.next();
      String ctx = "seed " + seed + " entry " + i + " " + e.name();
      assertArrayEquals(e.nameBytes(), h.name().bytes(), ctx);
      char expectedType = e.type();
      assertEquals(expectedType, h.type(), ctx);
      assertEquals(e.mode(), h.mode() & 07777, ctx);
      assertEquals(e.uid(), h.uid(), ctx);
      assertEquals(e.gid(), h.gid(), ctx);
      assertEquals(e.mtimeSeconds(), h.mtimeSeconds(), ctx);
      assertEquals(e.mtimeNanos(), h.mtimeNanos(), ctx);
      assertArrayEquals(e.linkBytes(), h.linkName().bytes(), ctx);
      if (e.type() == '3') {
        assertEquals(e.devMajor(), h.devMajor(), ctx);
        assertEquals(e.devMinor(), h.devMinor(), ctx);
      }
      assertEquals(e.xattrs().keySet(), h.xattrs().keySet(), ctx);
      for (String k : e.xattrs().keySet()) {
        assertArrayEquals(e.xattrs().get(k), h.xattrs().get(k), ctx + " xattr " + k);
      }
      assertEquals(e.type() == '0' ? e.dataLength() : 0, h.size(), ctx);
      if (e.type() == '0') {
        assertArrayEquals(e.data().get().readAllBytes(), reader.data().readAllBytes(), ctx);
      }
    }
    assertNull(reader.next(), "seed " + seed);
  }

  @ParameterizedTest
  @ValueSource(strings = {"1700000000.5", "-1.25", "0.000000001", "12", "-7"})
  void paxTimes(String text) {
    long[] t = TarReader.paxTime(text);
    java.math.BigDecimal back =
        java.math.BigDecimal.valueOf(t[0]).add(java.math.BigDecimal.valueOf(t[1], 9));
    assertEquals(0, back.compareTo(new java.math.BigDecimal(text)), text);
    assertEquals(true, t[1] >= 0 && t[1] < 1_000_000_000, text);
    assertEquals(text, text.getBytes(StandardCharsets.US_ASCII).length > 0 ? text : "");
  }
}
