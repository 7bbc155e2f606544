package dev.blocklift.image;

import static dev.blocklift.testing.oci.TarEntry.directory;
import static dev.blocklift.testing.oci.TarEntry.file;
import static dev.blocklift.testing.oci.TarEntry.hardLink;
import static dev.blocklift.testing.oci.TarEntry.symlink;
import static dev.blocklift.testing.oci.TarEntry.whiteout;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ImageRef;
import dev.blocklift.core.Platform;
import dev.blocklift.image.tree.ContentRef;
import dev.blocklift.image.tree.DirectoryNode;
import dev.blocklift.image.tree.FileNode;
import dev.blocklift.image.tree.LayerFiles;
import dev.blocklift.image.tree.Node;
import dev.blocklift.testing.TreeSnapshot;
import dev.blocklift.testing.oci.Compression;
import dev.blocklift.testing.oci.Layer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random layer stacks (files, dirs, symlinks, hard links, whiteouts, replacements): the tree equals
 * umoci's, LayerFiles lists exactly what LayerContent streams, and every file points into it.
 */
class LayerFilesTest {
  @TempDir Path tmp;

  private static Layer[] randomLayers(SplittableRandom r) {
    List<String> dirs = new ArrayList<>(List.of(""));
    List<String> files = new ArrayList<>();
    Layer[] layers = new Layer[1 + r.nextInt(4)];
    for (int l = 0; l < layers.length; l++) {
      Layer layer = Layer.of().compression(r.nextBoolean() ? Compression.GZIP : Compression.PLAIN);
      Set<String> thisLayer = new HashSet<>();
      for (int i = 0; i < 40; i++) {
        String dir = dirs.get(r.nextInt(dirs.size()));
        String path = dir + "n" + r.nextInt(30);
        switch (r.nextInt(8)) {
          case 0 -> {
            if (!files.contains(path) && !thisLayer.contains(path)) {
              layer.add(directory(path + "/").withMode(0700 + r.nextInt(0100)));
              dirs.add(path + "/");
              thisLayer.add(path);
            }
          }
          case 1 -> {
            if (!files.isEmpty()) {
              String victim = files.get(r.nextInt(files.size()));
              if (!thisLayer.contains(victim)) {
                layer.add(whiteout(victim));
                files.remove(victim);
              }
            }
          }
          case 2 -> {
            String target = files.isEmpty() ? path : files.get(r.nextInt(files.size()));
            // (a link to itself is rejected by umoci, a no-op here: not generated)
            if (!target.equals(path) && !dirs.contains(path + "/")) {
              layer.add(hardLink(path, target));
              files.add(path);
              thisLayer.add(path);
            }
          }
          case 3 -> {
            if (!dirs.contains(path + "/")) {
              layer.add(symlink(path, "target" + r.nextInt(5)));
              thisLayer.add(path);
            }
          }
          default -> {
            if (!dirs.contains(path + "/")) {
              layer.add(file(path, "c" + r.nextInt(1000)).withMode(0600 + r.nextInt(0100)));
              if (!files.contains(path)) {
                files.add(path);
              }
              thisLayer.add(path);
            }
          }
        }
      }
      layers[l] = layer;
    }
    return layers;
  }

  private static void refs(Node n, Set<ContentRef> out) {
    if (n instanceof DirectoryNode d) {
      d.entries().values().forEach(c -> refs(c, out));
    } else if (n instanceof FileNode f) {
      f.content().ifPresent(out::add);
    }
  }

  @ParameterizedTest
  @ValueSource(longs = {7, 11, 2026})
  void randomStacksMatchUmociAndLayerFilesMatchContent(long seed) throws Exception {
    Layer[] layers = randomLayers(new SplittableRandom(seed));
    Path layout = Fixtures.layout(tmp.resolve("oci"), layers);
    ImageRef ref = new ImageRef.OciLayout(layout, Optional.of("latest"));
    try (ImageSource source = ImageSources.open(ref)) {
      LoadedImage img = ImageLoader.load(source, Platform.LINUX_AMD64, LoadListener.NONE);
      Set<ContentRef> listed = new HashSet<>();
      for (LayerFiles lf : img.tree().layers()) {
        List<LayerFiles.Entry> streamed = new ArrayList<>();
        img.content()
            .forEachFile(
                lf.layerIndex(),
                (index, size, data) -> {
                  assertEquals(size, data.readAllBytes().length, "seed " + seed);
                  streamed.add(new LayerFiles.Entry(index, size));
                });
        assertEquals(lf.files(), streamed, "seed " + seed + " layer " + lf.layerIndex());
        lf.files().forEach(e -> listed.add(new ContentRef(lf.layerIndex(), e.entryIndex())));
      }
      Set<ContentRef> used = new HashSet<>();
      refs(img.tree().root(), used);
      assertTrue(listed.containsAll(used), "seed " + seed + ": a file points outside LayerFiles");
      TreeSnapshot ours = LoadedImageSnapshots.of(img);
      TreeSnapshot umoci = Fixtures.umoci(layout, tmp.resolve("bundle"));
      umoci.assertSameAs(ours, "seed " + seed);
    }
  }
}
