package dev.blocklift.cli;

import dev.blocklift.core.ImageRef;
import dev.blocklift.image.ImageSource;
import dev.blocklift.image.ImageSources;
import dev.blocklift.registry.RegistryImageSource;
import java.io.IOException;

/** Opens the {@link ImageSource} for any image reference the CLI accepts. */
public final class ImageSourceOpener {
  private ImageSourceOpener() {}

  /**
   * {@code docker://} goes to the registry module, {@code oci:} and {@code docker-archive:} to
   * image.
   */
  public static ImageSource open(ImageRef ref, RegistryOptions registry) throws IOException {
    if (ref instanceof ImageRef.Registry r) {
      return RegistryImageSource.open(r, registry.settings());
    }
    return ImageSources.open(ref);
  }
}
