package dev.blocklift.core;

import java.util.regex.Pattern;

/**
 * The name under which a converted image is published in a store: {@code NAME[:TAG]}, tag {@code
 * latest} by default. Names are path-like ({@code team/app}), lower-case, as in the OCI
 * distribution spec, so they are safe as file and object names.
 */
public record ImageName(String repository, String tag) implements Comparable<ImageName> {
  private static final Pattern REPOSITORY =
      Pattern.compile(
          "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*");
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");

  public ImageName {
    if (repository == null
        || repository.length() > 255
        || !REPOSITORY.matcher(repository).matches()) {
      throw new IllegalArgumentException(
          "image name must be lower-case letters, digits, '.', '_', '-' and '/' (e.g. team/app), got \""
              + Hex.abbreviate(String.valueOf(repository))
              + "\"");
    }
    if (tag == null || !TAG.matcher(tag).matches()) {
      throw new IllegalArgumentException(
          "image tag must be [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}, got \""
              + Hex.abbreviate(String.valueOf(tag))
              + "\"");
    }
  }

  public static ImageName parse(String text) {
    int slash = text.lastIndexOf('/');
    int colon = text.lastIndexOf(':');
    if (colon > slash) {
      return new ImageName(text.substring(0, colon), text.substring(colon + 1));
    }
    return new ImageName(text, "latest");
  }

  @Override
  public int compareTo(ImageName o) {
    int c = repository.compareTo(o.repository);
    return c != 0 ? c : tag.compareTo(o.tag);
  }

  @Override
  public String toString() {
    return repository + ":" + tag;
  }
}
