package dev.blocklift.store.local;

import dev.blocklift.core.ChunkName;
import dev.blocklift.store.ChunkSource;
import dev.blocklift.store.ChunkSourceContract;
import dev.blocklift.store.FsyncPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

class LocalChunkSourceTest extends ChunkSourceContract {
  @TempDir Path dir;

  @Override
  protected ChunkSource newSource(Map<ChunkName, byte[]> chunks) throws Exception {
    LocalChunkStore s = new LocalChunkStore(dir.resolve("chunks"), FsyncPolicy.NONE);
    for (Map.Entry<ChunkName, byte[]> e : chunks.entrySet()) {
      s.putIfAbsent(e.getKey(), e.getValue());
    }
    return s;
  }

  @Override
  protected boolean corrupt(ChunkSource source, ChunkName name) throws Exception {
    Path file = ((LocalChunkStore) source).path(name);
    byte[] b = Files.readAllBytes(file);
    b[b.length / 2] ^= 1;
    Files.write(file, b);
    return true;
  }
}
