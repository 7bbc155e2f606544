package dev.blocklift.image;

import dev.blocklift.core.ImageRef;
import dev.blocklift.testing.oci.DockerArchiveWriter;
import dev.blocklift.testing.oci.ImageSpec;
import dev.blocklift.testing.oci.Layer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

class DockerArchiveOciBlobsSourceTest extends ImageSourceContract {
  @Override
  protected ImageSource publishAndOpen(Path workDir, ImageSpec spec, List<Layer> layers)
      throws Exception {
    Files.createDirectories(workDir);
    Path archive = workDir.resolve("image.tar");
    DockerArchiveWriter.write(archive, spec, layers, DockerArchiveWriter.Style.OCI_BLOBS);
    return ImageSources.open(new ImageRef.DockerArchive(archive));
  }
}
