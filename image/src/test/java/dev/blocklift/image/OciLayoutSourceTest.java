package dev.blocklift.image;

import dev.blocklift.core.ImageRef;
import dev.blocklift.testing.oci.ImageSpec;
import dev.blocklift.testing.oci.Layer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

class OciLayoutSourceTest extends ImageSourceContract {
  @Override
  protected ImageSource publishAndOpen(Path workDir, ImageSpec spec, List<Layer> layers)
      throws Exception {
    return ImageSources.open(
        new ImageRef.OciLayout(ociLayout(workDir, spec, layers), Optional.of("latest")));
  }
}
