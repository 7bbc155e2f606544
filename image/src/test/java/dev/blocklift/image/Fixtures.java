package dev.blocklift.image;

import dev.blocklift.core.ImageRef;
import dev.blocklift.core.Platform;
import dev.blocklift.testing.Processes;
import dev.blocklift.testing.Requirements;
import dev.blocklift.testing.TreeSnapshot;
import dev.blocklift.testing.oci.ImageSpec;
import dev.blocklift.testing.oci.Layer;
import dev.blocklift.testing.oci.OciLayoutWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Shared helpers: write a one-image layout, load it, unpack it with the real umoci. */
public final class Fixtures {
  private Fixtures() {}

  static Path layout(Path dir, ImageSpec spec, Layer... layers) throws IOException {
    OciLayoutWriter w = OciLayoutWriter.create(dir);
    w.tag("latest", w.image(spec, layers));
    w.writeIndex();
    return dir;
  }

  static Path layout(Path dir, Layer... layers) throws IOException {
    return layout(dir, ImageSpec.linuxAmd64(), layers);
  }

  /** Loads the image and snapshots it (content hashes streamed via LayerContent). */
  static TreeSnapshot loadSnapshot(ImageRef ref) throws IOException {
    try (ImageSource source = ImageSources.open(ref)) {
      return LoadedImageSnapshots.of(
          ImageLoader.load(source, Platform.LINUX_AMD64, LoadListener.NONE));
    }
  }

  static LoadedImage load(Path layout) throws IOException {
    ImageSource source = ImageSources.open(new ImageRef.OciLayout(layout, Optional.of("latest")));
    return ImageLoader.load(source, Platform.LINUX_AMD64, LoadListener.NONE);
  }

  /** {@code umoci unpack} (as root, so owners, devices and security xattrs are real). */
  static TreeSnapshot umoci(Path layout, Path bundle) throws IOException {
    Requirements.commands("umoci");
    Requirements.root();
    List<String> cmd = List.of("umoci", "unpack", "--image", layout + ":latest", bundle.toString());
    Processes.run(Duration.ofMinutes(2), null, cmd).assertSuccess(cmd);
    return TreeSnapshot.of(bundle.resolve("rootfs"));
  }

  static Processes.Result umociResult(Path layout, Path bundle) throws IOException {
    Requirements.commands("umoci");
    Requirements.root();
    return Processes.run(
        Duration.ofMinutes(2),
        null,
        List.of("umoci", "unpack", "--image", layout + ":latest", bundle.toString()));
  }
}
