package dev.blocklift.image.tree;

import java.nio.charset.StandardCharsets;

/** Rules for a single directory-entry name, as ext4 stores it. */
public final class TreeNames {
  /** ext4's limit on one name, in bytes. */
  public static final int MAX_NAME_BYTES = 255;

  private TreeNames() {}

  public static void checkName(String name) {
    if (name.isEmpty()
        || name.equals(".")
        || name.equals("..")
        || name.indexOf('/') >= 0
        || name.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("not a valid entry name: \"" + name + "\"");
    }
    if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
      throw new IllegalArgumentException(
          "entry name longer than 255 bytes: \"" + name.substring(0, 40) + "...\"");
    }
  }
}
