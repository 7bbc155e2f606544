package dev.blocklift.testing.oci;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * One tar entry as a test describes it. Immutable; the {@code with*} methods return copies. Data
 * comes from a supplier so huge entries can be generated while streaming; {@code declaredSize} may
 * differ from the data's real length to build lying headers.
 *
 * @param type tar type flag: '0' file, '1' hard link, '2' symlink, '3' char, '4' block, '5' dir,
 *     '6' fifo (anything else is written as is)
 * @param gnuLongNames write long names with GNU 'L'/'K' records instead of PAX
 * @param binaryNames {@code name} and {@code linkName} carry raw bytes, one char per byte
 *     (ISO-8859-1), instead of text written as UTF-8: for names that are not valid UTF-8 ({@link
 *     #withNameBytes}, {@link #withLinkBytes})
 */
public record TarEntry(
    String name,
    char type,
    int mode,
    long uid,
    long gid,
    long mtimeSeconds,
    int mtimeNanos,
    String linkName,
    int devMajor,
    int devMinor,
    SortedMap<String, byte[]> xattrs,
    long declaredSize,
    long dataLength,
    Supplier<InputStream> data,
    boolean gnuLongNames,
    boolean binaryNames) {

  /** The default mtime of fixture entries (2023-11-14). */
  public static final long DEFAULT_MTIME = 1_700_000_000L;

  public TarEntry {
    xattrs = Collections.unmodifiableSortedMap(new TreeMap<>(xattrs));
  }

  private static TarEntry of(String name, char type, int mode) {
    return new TarEntry(
        name,
        type,
        mode,
        0,
        0,
        DEFAULT_MTIME,
        0,
        "",
        0,
        0,
        new TreeMap<>(),
        0,
        0,
        () -> InputStream.nullInputStream(),
        false,
        false);
  }

  public static TarEntry file(String name, byte[] content) {
    byte[] copy = content.clone();
    return of(name, '0', 0644).withData(copy.length, () -> new ByteArrayInputStream(copy));
  }

  public static TarEntry file(String name, String content) {
    return file(name, content.getBytes(StandardCharsets.UTF_8));
  }

  public static TarEntry directory(String name) {
    return of(name, '5', 0755);
  }

  public static TarEntry symlink(String name, String target) {
    return of(name, '2', 0777).withLinkName(target);
  }

  public static TarEntry hardLink(String name, String target) {
    return of(name, '1', 0644).withLinkName(target);
  }

  public static TarEntry charDevice(String name, int major, int minor) {
    return of(name, '3', 0666).withDevice(major, minor);
  }

  public static TarEntry blockDevice(String name, int major, int minor) {
    return of(name, '4', 0660).withDevice(major, minor);
  }

  public static TarEntry fifo(String name) {
    return of(name, '6', 0644);
  }

  /** A whiteout for {@code path} ({@code dir/.wh.name}). */
  public static TarEntry whiteout(String path) {
    int slash = path.lastIndexOf('/');
    String dir = slash < 0 ? "" : path.substring(0, slash + 1);
    return of(dir + ".wh." + path.substring(slash + 1), '0', 0644);
  }

  /** An opaque-directory marker for {@code dir}. */
  public static TarEntry opaque(String dir) {
    return of((dir.isEmpty() || dir.endsWith("/") ? dir : dir + "/") + ".wh..wh..opq", '0', 0644);
  }

  public TarEntry withData(long length, Supplier<InputStream> supplier) {
    return new TarEntry(
        name,
        type,
        mode,
        uid,
        gid,
        mtimeSeconds,
        mtimeNanos,
        linkName,
        devMajor,
        devMinor,
        xattrs,
        length,
        length,
        supplier,
        gnuLongNames,
        binaryNames);
  }

  public TarEntry withDeclaredSize(long size) {
    return new TarEntry(
        name,
        type,
        mode,
        uid,
        gid,
        mtimeSeconds,
        mtimeNanos,
        linkName,
        devMajor,
        devMinor,
        xattrs,
        size,
        dataLength,
        data,
        gnuLongNames,
        binaryNames);
  }

  public TarEntry withMode(int newMode) {
    return new TarEntry(
        name,
        type,
        newMode,
        uid,
        gid,
        mtimeSeconds,
        mtimeNanos,
        linkName,
        devMajor,
        devMinor,
        xattrs,
        declaredSize,
        dataLength,
        data,
        gnuLongNames,
        binaryNames);
  }

  public TarEntry withOwner(long newUid, long newGid) {
    return new TarEntry(
        name,
        type,
        mode,
        newUid,
        newGid,
        mtimeSeconds,
        mtimeNanos,
        linkName,
        devMajor,
        devMinor,
        xattrs,
        declaredSize,
        dataLength,
        data,
        gnuLongNames,
        binaryNames);
  }

  public TarEntry withMtime(long seconds, int nanos) {
    return new TarEntry(
        name,
        type,
        mode,
        uid,
        gid,
        seconds,
        nanos,
        linkName,
        devMajor,
        devMinor,
        xattrs,
        declaredSize,
        dataLength,
        data,
        gnuLongNames,
        binaryNames);
  }

  public TarEntry withLinkName(String target) {
    return new TarEntry(
        name,
        type,
        mode,
        uid,
        gid,
        mtimeSeconds,
        mtimeNanos,
        target,
        devMajor,
        devMinor,
        xattrs,
        declaredSize,
        dataLength,
        data,
        gnuLongNames,
        binaryNames);
  }

  public TarEntry withDevice(int major, int minor) {
    return new TarEntry(
        name,
        type,
        mode,
        uid,
        gid,
        mtimeSeconds,
        mtimeNanos,
        linkName,
        major,
        minor,
        xattrs,
        declaredSize,
        dataLength,
        data,
        gnuLongNames,
        binaryNames);
  }

  public TarEntry withXattr(String xattrName, byte[] value) {
    TreeMap<String, byte[]> x = new TreeMap<>(xattrs);
    x.put(xattrName, value.clone());
    return new TarEntry(
        name,
        type,
        mode,
        uid,
        gid,
        mtimeSeconds,
        mtimeNanos,
        linkName,
        devMajor,
        devMinor,
        x,
        declaredSize,
        dataLength,
        data,
        gnuLongNames,
        binaryNames);
  }

  public TarEntry withName(String newName) {
    return new TarEntry(
        newName,
        type,
        mode,
        uid,
        gid,
        mtimeSeconds,
        mtimeNanos,
        linkName,
        devMajor,
        devMinor,
        xattrs,
        declaredSize,
        dataLength,
        data,
        gnuLongNames,
        binaryNames);
  }

  public TarEntry withType(char newType) {
    return new TarEntry(
        name,
        newType,
        mode,
        uid,
        gid,
        mtimeSeconds,
        mtimeNanos,
        linkName,
        devMajor,
        devMinor,
        xattrs,
        declaredSize,
        dataLength,
        data,
        gnuLongNames,
        binaryNames);
  }

  public TarEntry withGnuLongNames() {
    return new TarEntry(
        name,
        type,
        mode,
        uid,
        gid,
        mtimeSeconds,
        mtimeNanos,
        linkName,
        devMajor,
        devMinor,
        xattrs,
        declaredSize,
        dataLength,
        data,
        true,
        binaryNames);
  }

  /** This entry with a name of raw bytes (not necessarily UTF-8). */
  public TarEntry withNameBytes(byte[] nameBytes) {
    return binary().withName(new String(nameBytes, StandardCharsets.ISO_8859_1));
  }

  /** This entry with a link target of raw bytes (not necessarily UTF-8). */
  public TarEntry withLinkBytes(byte[] linkBytes) {
    return binary().withLinkName(new String(linkBytes, StandardCharsets.ISO_8859_1));
  }

  /** The name's bytes as the writer writes them. */
  public byte[] nameBytes() {
    return name.getBytes(binaryNames ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
  }

  /** The link target's bytes as the writer writes them. */
  public byte[] linkBytes() {
    return linkName.getBytes(binaryNames ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
  }

  /** The same entry with its name and link carried as bytes (one char per byte). */
  private TarEntry binary() {
    if (binaryNames) {
      return this;
    }
    return new TarEntry(
        new String(nameBytes(), StandardCharsets.ISO_8859_1),
        type,
        mode,
        uid,
        gid,
        mtimeSeconds,
        mtimeNanos,
        new String(linkBytes(), StandardCharsets.ISO_8859_1),
        devMajor,
        devMinor,
        xattrs,
        declaredSize,
        dataLength,
        data,
        gnuLongNames,
        true);
  }
}
