package dev.blocklift.image;

import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ImageRef;
import java.io.IOException;

/**
 * Opens the {@link ImageSource} for a reference's transport ({@code oci:}, {@code
 * docker-archive:}).
 */
public final class ImageSources {
  private ImageSources() {}

  /**
   * Opens a local image source. Registry references ({@code docker://}) are served by the registry
   * module, not here.
   */
  public static ImageSource open(ImageRef ref) throws IOException {
    return switch (ref) {
      case ImageRef.OciLayout oci -> OciLayoutSource.open(oci.directory(), oci.tag());
      case ImageRef.DockerArchive archive -> DockerArchiveSource.open(archive.file());
      case ImageRef.Registry registry ->
          throw new BlockliftException(
              "the docker:// transport is handled by the registry module, not by"
                  + " ImageSources (got "
                  + registry
                  + "); use oci:DIR[:TAG] or docker-archive:FILE here");
    };
  }
}
