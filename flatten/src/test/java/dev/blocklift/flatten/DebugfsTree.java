package dev.blocklift.flatten;

import dev.blocklift.testing.Requirements;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * An ext4 image's tree as debugfs (which reads the image itself, not through the kernel) sees it,
 * with names, symlink targets and file contents as raw bytes. Paths are keys of the form {@code
 * /a/b}, carried in ISO-8859-1 strings (one char per byte), so any byte string is a key.
 * Directories are walked by inode number ({@code <N>}), so no name has to pass a command line.
 */
final class DebugfsTree {
  /** One entry: inode, mode (type and permissions), and for files and symlinks their bytes. */
  @SuppressWarnings("ArrayRecordComponent") // test values, never shared
  record Entry(int inode, int mode, byte[] bytes) {
    boolean isDirectory() {
      return (mode & 0xF000) == 0x4000;
    }

    boolean isFile() {
      return (mode & 0xF000) == 0x8000;
    }

    boolean isSymlink() {
      return (mode & 0xF000) == 0xA000;
    }
  }

  private DebugfsTree() {}

  /** Reads every entry below the root. */
  static Map<String, Entry> read(Path image) throws IOException {
    Requirements.commands("debugfs");
    Map<String, Entry> out = new TreeMap<>();
    Deque<String[]> dirs = new ArrayDeque<>(); // {path, inode}
    dirs.add(new String[] {"", "2"});
    List<String> contentCommands = new ArrayList<>();
    List<String> contentPaths = new ArrayList<>();
    while (!dirs.isEmpty()) {
      String[] d = dirs.poll();
      byte[] listing = run(image, List.of("ls -p <" + d[1] + ">"), false);
      for (String[] rec : records(listing)) {
        String name = rec[4];
        if (name.equals(".") || name.equals("..")) {
          continue;
        }
        int inode = Integer.parseInt(rec[0]);
        int mode = Integer.parseInt(rec[1], 8);
        String path = d[0] + "/" + name;
        out.put(path, new Entry(inode, mode, null));
        if ((mode & 0xF000) == 0x4000) {
          dirs.add(new String[] {path, rec[0]});
        } else if ((mode & 0xF000) == 0x8000) {
          contentCommands.add("cat <" + inode + ">");
          contentPaths.add(path);
        } else if ((mode & 0xF000) == 0xA000) {
          contentCommands.add("stat <" + inode + ">");
          contentPaths.add(path);
          contentCommands.add("cat <" + inode + ">"); // a slow symlink's block
          contentPaths.add(path);
        }
      }
    }
    if (contentCommands.isEmpty()) {
      return out;
    }
    byte[] all = run(image, contentCommands, true);
    int pos = 0;
    for (int i = 0; i < contentCommands.size(); i++) {
      byte[] marker =
          ("debugfs: " + contentCommands.get(i) + "\n").getBytes(StandardCharsets.UTF_8);
      int start = indexOf(all, marker, pos);
      if (start < 0) {
        throw new AssertionError("no output for " + contentCommands.get(i));
      }
      start += marker.length;
      int end =
          i + 1 < contentCommands.size()
              ? indexOf(
                  all,
                  ("debugfs: " + contentCommands.get(i + 1) + "\n")
                      .getBytes(StandardCharsets.UTF_8),
                  start)
              : all.length;
      byte[] section = java.util.Arrays.copyOfRange(all, start, end);
      pos = end;
      String path = contentPaths.get(i);
      Entry e = out.get(path);
      String command = contentCommands.get(i);
      if (e.isFile()) {
        out.put(path, new Entry(e.inode(), e.mode(), section));
      } else if (command.startsWith("stat")) {
        byte[] fast = fastLinkTarget(section);
        if (fast != null) {
          out.put(path, new Entry(e.inode(), e.mode(), fast));
        }
      } else if (e.bytes() == null) {
        out.put(path, new Entry(e.inode(), e.mode(), section));
      }
    }
    return out;
  }

  /** The key of a path given as bytes per component. */
  static String key(List<byte[]> components) {
    StringBuilder b = new StringBuilder();
    for (byte[] c : components) {
      b.append('/').append(new String(c, StandardCharsets.ISO_8859_1));
    }
    return b.toString();
  }

  /** A key made readable: bytes outside printable ASCII as \xNN. */
  static String show(String key) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c >= 0x20 && c < 0x7f && c != '\\') {
        b.append(c);
      } else {
        b.append(String.format(java.util.Locale.ROOT, "\\x%02x", (int) c));
      }
    }
    return b.toString();
  }

  private static byte[] fastLinkTarget(byte[] stat) {
    byte[] marker = "Fast link dest: \"".getBytes(StandardCharsets.US_ASCII);
    int i = indexOf(stat, marker, 0);
    if (i < 0) {
      return null;
    }
    int start = i + marker.length;
    int end = indexOf(stat, "\"\n".getBytes(StandardCharsets.US_ASCII), start);
    return java.util.Arrays.copyOfRange(stat, start, end);
  }

  /** {@code ls -p} records: /inode/mode/uid/gid/name/size/ then a newline; names hold no '/'. */
  private static List<String[]> records(byte[] listing) {
    List<String> tokens = new ArrayList<>();
    int from = 0;
    for (int i = 0; i <= listing.length; i++) {
      if (i == listing.length || listing[i] == '/') {
        tokens.add(new String(listing, from, i - from, StandardCharsets.ISO_8859_1));
        from = i + 1;
      }
    }
    List<String[]> out = new ArrayList<>();
    int i = 1; // tokens[0] is what precedes the first '/': nothing
    while (i + 5 < tokens.size()) {
      out.add(tokens.subList(i, i + 6).toArray(String[]::new));
      if (i + 6 < tokens.size() && !tokens.get(i + 6).startsWith("\n")) {
        throw new AssertionError("unexpected ls -p output near " + tokens.get(i + 6));
      }
      i += 7;
    }
    return out;
  }

  /** Runs debugfs; with {@code echo}, from a command file, each output after "debugfs: CMD". */
  private static byte[] run(Path image, List<String> commands, boolean echo) throws IOException {
    Path cmd = Files.createTempFile("debugfs", ".cmd");
    Path stdout = Files.createTempFile("debugfs", ".out");
    try {
      Files.write(cmd, commands, StandardCharsets.US_ASCII);
      Process p =
          new ProcessBuilder(
                  !echo
                      ? List.of("debugfs", "-R", commands.getFirst(), image.toString())
                      : List.of("debugfs", "-f", cmd.toString(), image.toString()))
              .redirectOutput(stdout.toFile())
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!p.waitFor(2, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new AssertionError("debugfs did not finish");
      }
      if (p.exitValue() != 0) {
        throw new AssertionError("debugfs exited " + p.exitValue());
      }
      return Files.readAllBytes(stdout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted running debugfs");
    } finally {
      Files.deleteIfExists(cmd);
      Files.deleteIfExists(stdout);
    }
  }

  private static int indexOf(byte[] a, byte[] b, int from) {
    outer:
    for (int i = Math.max(0, from); i + b.length <= a.length; i++) {
      for (int j = 0; j < b.length; j++) {
        if (a[i + j] != b[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      b.writeBytes(p);
    }
    return b.toByteArray();
  }
}
