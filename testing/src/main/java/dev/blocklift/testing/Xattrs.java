package dev.blocklift.testing;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Reads every extended attribute of a path (without following a final symlink), in all namespaces
 * incl. {@code security.capability} and {@code trusted.*}, via libc's {@code llistxattr} and {@code
 * lgetxattr} (Java's UserDefinedFileAttributeView only sees {@code user.*}). No external tool
 * needed. A filesystem without xattr support (ENOTSUP) yields an empty map.
 */
@SuppressWarnings("restricted")
public final class Xattrs {
  private static final int ENOTSUP = 95;
  private static final int ENODATA = 61;
  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO =
      STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private static final MethodHandle LIST =
      LINKER.downcallHandle(
          LINKER.defaultLookup().find("llistxattr").orElseThrow(),
          FunctionDescriptor.of(
              ValueLayout.JAVA_LONG,
              ValueLayout.ADDRESS,
              ValueLayout.ADDRESS,
              ValueLayout.JAVA_LONG),
          Linker.Option.captureCallState("errno"));
  private static final MethodHandle GET =
      LINKER.downcallHandle(
          LINKER.defaultLookup().find("lgetxattr").orElseThrow(),
          FunctionDescriptor.of(
              ValueLayout.JAVA_LONG,
              ValueLayout.ADDRESS,
              ValueLayout.ADDRESS,
              ValueLayout.ADDRESS,
              ValueLayout.JAVA_LONG),
          Linker.Option.captureCallState("errno"));

  private Xattrs() {}

  public static SortedMap<String, byte[]> read(Path path) throws IOException {
    SortedMap<String, byte[]> out = new TreeMap<>();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(STATE);
      MemorySegment p = arena.allocateFrom(path.toString());
      long size = (long) LIST.invokeExact(state, p, MemorySegment.NULL, 0L);
      if (size < 0) {
        int errno = (int) ERRNO.get(state, 0L);
        if (errno == ENOTSUP) {
          return out;
        }
        throw new IOException("llistxattr " + path + " failed, errno " + errno);
      }
      if (size == 0) {
        return out;
      }
      MemorySegment names = arena.allocate(size + 1);
      long n = (long) LIST.invokeExact(state, p, names, size + 1);
      if (n < 0) {
        throw new IOException(
            "llistxattr " + path + " failed, errno " + (int) ERRNO.get(state, 0L));
      }
      byte[] raw = names.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
      int start = 0;
      for (int i = 0; i < raw.length; i++) {
        if (raw[i] == 0) {
          if (i > start) {
            String name = new String(raw, start, i - start, StandardCharsets.UTF_8);
            byte[] value = get(arena, state, p, name, path);
            if (value != null) {
              out.put(name, value);
            }
          }
          start = i + 1;
        }
      }
      return out;
    } catch (IOException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("xattr call failed for " + path, t);
    }
  }

  private static byte[] get(
      Arena arena, MemorySegment state, MemorySegment p, String name, Path path) throws Throwable {
    MemorySegment n = arena.allocateFrom(name);
    long size = (long) GET.invokeExact(state, p, n, MemorySegment.NULL, 0L);
    if (size < 0) {
      int errno = (int) ERRNO.get(state, 0L);
      if (errno == ENODATA) {
        return null;
      }
      throw new IOException("lgetxattr " + path + " " + name + " failed, errno " + errno);
    }
    MemorySegment buf = arena.allocate(Math.max(1, size));
    long got = (long) GET.invokeExact(state, p, n, buf, size);
    if (got < 0) {
      throw new IOException(
          "lgetxattr " + path + " " + name + " failed, errno " + (int) ERRNO.get(state, 0L));
    }
    return buf.asSlice(0, got).toArray(ValueLayout.JAVA_BYTE);
  }
}
