package dev.blocklift.store;

import dev.blocklift.core.ImageName;
import java.util.Optional;

/**
 * The relative key of a published manifest, shared by every store so a directory store and an S3
 * bucket look alike: {@code <repository>/_tags/<tag>}, e.g. {@code team/app/_tags/latest}.
 *
 * <p>The {@code _tags} level keeps a repository apart from a longer one that extends it ({@code
 * team} and {@code team/app} may both be published): a repository component must start with a
 * letter or digit, so no component can be {@code _tags}, and a tag never contains a slash.
 */
public final class ManifestKeys {
  /** The directory level under each repository that holds its tags. */
  public static final String TAGS = "_tags";

  private ManifestKeys() {}

  /** The relative key of {@code name}: {@code repo/_tags/tag}. */
  public static String key(ImageName name) {
    return name.repository() + "/" + TAGS + "/" + name.tag();
  }

  /** The name a relative key stands for, or empty if the key is not a manifest key. */
  public static Optional<ImageName> parse(String key) {
    int tagsAt = key.lastIndexOf("/" + TAGS + "/");
    if (tagsAt <= 0) {
      return Optional.empty();
    }
    String repository = key.substring(0, tagsAt);
    String tag = key.substring(tagsAt + TAGS.length() + 2);
    try {
      return Optional.of(new ImageName(repository, tag));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
