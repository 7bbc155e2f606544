package dev.blocklift.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blocklift.agent.Worker;
import dev.blocklift.agent.WorkerClient;
import dev.blocklift.agent.WorkerDaemon;
import dev.blocklift.agent.WorkerServer;
import dev.blocklift.cache.tier.MemoryTier;
import dev.blocklift.chunk.SaltRoots;
import dev.blocklift.chunk.ServiceSecret;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.chunk.keys.LocalKeyring;
import dev.blocklift.convert.ConvertListener;
import dev.blocklift.convert.ConvertOptions;
import dev.blocklift.convert.Converter;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ByteSize;
import dev.blocklift.core.ChunkName;
import dev.blocklift.core.Digest;
import dev.blocklift.core.ImageName;
import dev.blocklift.store.Store;
import dev.blocklift.store.StoredChunk;
import dev.blocklift.store.Stores;
import dev.blocklift.testing.Ext4Images;
import dev.blocklift.testing.Processes;
import dev.blocklift.testing.Requirements;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The worker's NBD export of a converted ext4 image, checked with the real clients: libnbd's
 * nbdinfo, nbdcopy and nbdfuse, qemu-img and qemu-io, e2fsck, a loop mount. The worker runs
 * in-process over a local store (it needs root and FUSE, as every worker does).
 */
class NbdWorkerTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String IMAGE = "nbdtest:1";
  static final String BROKEN = "nbdtest:broken";
  static final String DATA = "data/random.bin";
  static final int DATA_SIZE = 5 * 1024 * 1024 + 777;
  static final byte[] CONFIG =
      "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/bin/true\"]}}"
          .getBytes(StandardCharsets.UTF_8);

  private static Path tmp;
  private static byte[] flat;
  private static byte[] data;
  private static Worker worker;
  private static WorkerDaemon daemon;
  private static WorkerClient client;

  @BeforeAll
  static void start() throws Exception {
    Requirements.root();
    Requirements.fuse();
    Requirements.loopDevices();
    Requirements.commands(
        "mkfs.ext4", "e2fsck", "nbdinfo", "nbdcopy", "nbdfuse", "qemu-img", "qemu-io", "mount");
    tmp = Files.createTempDirectory("nbd-worker");
    Path home = tmp.resolve("home");
    Path tree = Files.createDirectories(tmp.resolve("tree"));
    Files.createDirectories(tree.resolve("data"));
    Files.createDirectories(tree.resolve("etc"));
    data = new byte[DATA_SIZE];
    new SplittableRandom(13).nextBytes(data);
    Files.write(tree.resolve(DATA), data);
    Files.writeString(tree.resolve("etc/hello"), "hello from the export\n", StandardCharsets.UTF_8);
    // 64 MiB, mostly free: its zero chunks are holes of the manifest.
    Path img = Ext4Images.mkfs(tree, tmp.resolve("flat.ext4"), "64M");
    flat = Files.readAllBytes(img);
    // A second image of other random bytes, whose chunks the first does not share.
    Path tree2 = Files.createDirectories(tmp.resolve("tree2"));
    byte[] other = new byte[2 * 1024 * 1024];
    new SplittableRandom(14).nextBytes(other);
    Files.write(tree2.resolve("other.bin"), other);
    Path img2 = Ext4Images.mkfs(tree2, tmp.resolve("flat2.ext4"), "16M");
    try (Store store = Stores.open(home.resolve("store").toString());
        LocalKeyring keys = LocalKeyring.open(home.resolve("keyring.json"), Clock.systemUTC())) {
      new Converter(
              store,
              keys,
              ServiceSecret.loadOrCreate(home.resolve("service-secret")),
              new SaltRoots(home.resolve("salt-roots.json"), Clock.systemUTC()),
              Files.createDirectories(home.resolve("scratch")),
              System::nanoTime)
          .convertDevice(
              img,
              Digest.sha256(CONFIG),
              CONFIG,
              ConvertOptions.of(ImageName.parse(IMAGE), TenantId.DEFAULT),
              ConvertListener.NONE);
      new Converter(
              store,
              keys,
              ServiceSecret.loadOrCreate(home.resolve("service-secret")),
              new SaltRoots(home.resolve("salt-roots.json"), Clock.systemUTC()),
              Files.createDirectories(home.resolve("scratch")),
              System::nanoTime)
          .convertDevice(
              img2,
              Digest.sha256(CONFIG),
              CONFIG,
              ConvertOptions.of(ImageName.parse(BROKEN), TenantId.DEFAULT),
              ConvertListener.NONE);
    }
    worker =
        Worker.open(
            Worker.Parts.overStore(
                Stores.open(home.resolve("store").toString()),
                LocalKeyring.open(home.resolve("keyring.json"), Clock.systemUTC()),
                List.of(new MemoryTier(ByteSize.ofMiB(128).bytes())),
                Duration.ofSeconds(20)),
            new Worker.Options(Duration.ofSeconds(20), TenantId.DEFAULT, ByteSize.ofMiB(16), -1));
    Path socket = tmp.resolve("w.sock");
    daemon =
        WorkerDaemon.start(
            worker,
            tmp.resolve("run/state"),
            List.of(),
            (argv, cwd) -> {
              throw new BlockliftException("no runs here");
            },
            new WorkerServer.Listen(socket, "rw-rw----", Optional.empty(), Optional.empty()),
            List.of(Nbd.api()));
    client = new WorkerClient(socket, Duration.ofSeconds(60));
  }

  @AfterAll
  static void stop() throws Exception {
    if (daemon != null) {
      daemon.close();
      assertTrue(
          Files.notExists(tmp.resolve("run/state/nbd")) || isEmpty(tmp.resolve("run/state/nbd")),
          "no overlay outlives the worker");
    }
    if (tmp != null) {
      Processes.run(List.of("rm", "-rf", tmp.toString()));
    }
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    }
  }

  /** Starts an export through the worker's API; answers its JSON. */
  static JsonNode export(String query) throws IOException {
    WorkerClient.Answer a = client.post("/nbd?image=" + IMAGE + query);
    assertEquals(200, a.status(), a.body());
    return JSON.readTree(a.body());
  }

  static void unexport(JsonNode e) throws IOException {
    WorkerClient.Answer a =
        client.send("DELETE", "/nbd?id=" + e.get("id").asText(), new byte[0], Map.of());
    assertEquals(200, a.status(), a.body());
  }

  static Processes.Result ok(String... cmd) throws IOException {
    return Processes.run(Duration.ofMinutes(3), null, List.of(cmd)).assertSuccess(List.of(cmd));
  }

  @Test
  void nbdinfoShowsTheSizeFlagsAndTheList() throws Exception {
    JsonNode e = export("");
    String uri = e.get("uri").asText();
    assertTrue(uri.startsWith("nbd+unix:///?socket="), uri);
    try {
      JsonNode info = JSON.readTree(ok("nbdinfo", "--json", uri).stdout());
      JsonNode ex = info.get("exports").get(0);
      assertEquals(flat.length, ex.get("export-size").asLong(), info.toString());
      assertTrue(ex.get("is_read_only").asBoolean(), info.toString());
      assertTrue(ex.get("can_multi_conn").asBoolean(), info.toString());
      assertTrue(ex.get("can_cache").asBoolean(), info.toString());
      assertTrue(ex.get("can_flush").asBoolean(), info.toString());
      assertTrue(ex.get("can_zero").asBoolean(), info.toString());
      assertEquals(4096, ex.get("block_size_preferred").asInt(), info.toString());
      assertEquals(32 << 20, ex.get("block_size_maximum").asInt(), info.toString());
      assertTrue(info.toString().contains("base:allocation"), info.toString());
      String list = ok("nbdinfo", "--list", uri).stdout();
      assertTrue(list.contains(IMAGE), list);
      WorkerClient.Answer all = client.get("/nbd");
      assertTrue(all.body().contains(e.get("id").asText()), all.body());
      assertTrue(client.get("/metrics").body().contains("blocklift_nbd_exports 1"));
    } finally {
      unexport(e);
    }
    assertFalse(client.get("/nbd").body().contains(e.get("id").asText()));
    assertTrue(Files.notExists(Path.of(e.get("socket").asText())), "the socket is removed");
  }

  @Test
  void nbdcopyQemuImgCompareAndTheHoleMap() throws Exception {
    JsonNode e = export("&socket=" + tmp.resolve("copy.sock"));
    String uri = e.get("uri").asText();
    try {
      Path out = tmp.resolve("copy.img");
      ok("nbdcopy", uri, out.toString());
      assertArrayEquals(flat, Files.readAllBytes(out), "nbdcopy equals the flattened image");
      ok("qemu-img", "compare", "-f", "raw", "-F", "raw", tmp.resolve("flat.ext4").toString(), uri);
      ok("e2fsck", "-fn", out.toString());
      // base:allocation: some holes, each reading as zeroes in the flattened image.
      JsonNode map = JSON.readTree(ok("nbdinfo", "--json", "--map", uri).stdout());
      long holes = 0;
      long covered = 0;
      for (JsonNode x : map) {
        long off = x.get("offset").asLong();
        long len = x.get("length").asLong();
        covered += len;
        if (x.get("type").asInt() == 3) {
          holes += len;
          byte[] zero = new byte[(int) len];
          assertArrayEquals(
              zero, Arrays.copyOfRange(flat, (int) off, (int) (off + len)), "hole at " + off);
        }
      }
      assertEquals(flat.length, covered, map.toString());
      assertTrue(holes > flat.length / 4, "most of a fresh 64 MiB ext4 is holes: " + holes);
    } finally {
      unexport(e);
    }
  }

  @Test
  void nbdfuseLoopMountsTheExportAsExt4() throws Exception {
    JsonNode e = export("");
    String uri = e.get("uri").asText();
    Path fuse = Files.createDirectories(tmp.resolve("fuse"));
    Path mnt = Files.createDirectories(tmp.resolve("mnt"));
    Path pid = tmp.resolve("nbdfuse.pid");
    Process p =
        new ProcessBuilder("nbdfuse", "-r", "-P", pid.toString(), fuse.toString(), uri)
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("nbdfuse.log").toFile())
            .start();
    try {
      dev.blocklift.testing.Poll.until(
          Duration.ofSeconds(30), "nbdfuse ready", () -> Files.exists(pid) || !p.isAlive());
      assertTrue(p.isAlive(), Files.readString(tmp.resolve("nbdfuse.log")));
      ok(
          "mount",
          "-t",
          "ext4",
          "-o",
          "loop,ro,noload",
          fuse.resolve("nbd").toString(),
          mnt.toString());
      try {
        assertArrayEquals(data, Files.readAllBytes(mnt.resolve(DATA)));
        assertEquals(
            "hello from the export\n",
            Files.readString(mnt.resolve("etc/hello"), StandardCharsets.UTF_8));
      } finally {
        ok("umount", mnt.toString());
      }
    } finally {
      Processes.run(List.of("fusermount3", "-u", fuse.toString()));
      if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
      unexport(e);
    }
  }

  @Test
  void writesOfAWritableExportLandInTheOverlayOnly() throws Exception {
    Map<String, String> before = storeChunks();
    JsonNode e = export("&rw=true");
    String uri = e.get("uri").asText();
    String id = e.get("id").asText();
    try {
      assertFalse(e.get("readOnly").asBoolean());
      JsonNode info = JSON.readTree(ok("nbdinfo", "--json", uri).stdout());
      assertFalse(info.get("exports").get(0).get("is_read_only").asBoolean(), info.toString());
      ok("qemu-io", "-f", "raw", "-c", "write -P 0xab 0 4096", uri);
      // And into a hole chunk far from the data.
      long at = flat.length - 3L * 512 * 1024;
      ok("qemu-io", "-f", "raw", "-c", "write -P 0x5a " + at + " 8192", uri);
      ok("qemu-io", "-f", "raw", "-c", "read -P 0xab 0 4096", uri);
      ok("qemu-io", "-f", "raw", "-c", "read -P 0x5a " + at + " 8192", uri);
      Path out = tmp.resolve("rw.img");
      ok("nbdcopy", uri, out.toString());
      byte[] want = flat.clone();
      Arrays.fill(want, 0, 4096, (byte) 0xab);
      Arrays.fill(want, (int) at, (int) at + 8192, (byte) 0x5a);
      assertArrayEquals(want, Files.readAllBytes(out), "the writes read back, the rest unchanged");
      // The written hole pages are data now.
      JsonNode map = JSON.readTree(ok("nbdinfo", "--json", "--map", uri).stdout());
      for (JsonNode x : map) {
        long off = x.get("offset").asLong();
        long end = off + x.get("length").asLong();
        if (off <= at && at < end) {
          assertEquals(0, x.get("type").asInt(), map.toString());
        }
      }
      Path overlay = tmp.resolve("run/state/nbd").resolve(id).resolve("overlay.data");
      assertTrue(Files.exists(overlay), "the overlay of " + id);
      byte[] head = new byte[4096];
      try (var ch = java.nio.channels.FileChannel.open(overlay)) {
        ch.read(ByteBuffer.wrap(head), 0);
      }
      byte[] ab = new byte[4096];
      Arrays.fill(ab, (byte) 0xab);
      assertArrayEquals(ab, head, "the write is in the overlay");
      assertEquals(before, storeChunks(), "the store's chunks are unchanged");
    } finally {
      unexport(e);
    }
    assertTrue(Files.notExists(tmp.resolve("run/state/nbd").resolve(id)), "overlay deleted");
    // A new export of the image reads the original bytes.
    JsonNode again = export("");
    try {
      Path out = tmp.resolve("again.img");
      ok("nbdcopy", again.get("uri").asText(), out.toString());
      assertArrayEquals(flat, Files.readAllBytes(out));
    } finally {
      unexport(again);
    }
  }

  @Test
  void tcpApiErrorsAndGarbageOnTheWorkersExport() throws Exception {
    assertEquals(400, client.post("/nbd").status(), "no image");
    assertEquals(400, client.post("/nbd?image=nosuch:1").status(), "not in the store");
    assertEquals(400, client.post("/nbd?image=" + IMAGE + "&socket=relative.sock").status());
    assertEquals(
        400,
        client.post("/nbd?image=" + IMAGE + "&socket=" + tmp.resolve("w.sock")).status(),
        "an existing path is never replaced");
    assertEquals(400, client.post("/nbd?image=" + IMAGE + "&listen=nonsense").status());
    assertEquals(400, client.post("/nbd?image=" + IMAGE + "&rw=yes").status());
    assertEquals(404, client.send("DELETE", "/nbd?id=nbd-nothing", new byte[0], Map.of()).status());
    assertEquals(405, client.send("PUT", "/nbd", new byte[0], Map.of()).status());
    JsonNode tcp = export("&listen=127.0.0.1:0");
    try {
      String uri = tcp.get("uri").asText();
      assertTrue(uri.matches("nbd://127\\.0\\.0\\.1:[0-9]+"), uri);
      JsonNode info = JSON.readTree(ok("nbdinfo", "--json", uri).stdout());
      assertEquals(flat.length, info.get("exports").get(0).get("export-size").asLong());
    } finally {
      WorkerClient.Answer a = client.post("/nbd/stop?name=" + tcp.get("id").asText());
      assertEquals(200, a.status(), a.body());
    }
    JsonNode e = export("");
    try {
      Path sock = Path.of(e.get("socket").asText());
      SplittableRandom r = new SplittableRandom(42);
      for (int i = 0; i < 20; i++) {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
          c.connect(UnixDomainSocketAddress.of(sock));
          byte[] junk = new byte[1 + r.nextInt(2000)];
          r.nextBytes(junk);
          c.read(ByteBuffer.allocate(18));
          c.write(ByteBuffer.wrap(junk));
        }
      }
      JsonNode info = JSON.readTree(ok("nbdinfo", "--json", e.get("uri").asText()).stdout());
      assertEquals(flat.length, info.get("exports").get(0).get("export-size").asLong());
      assertEquals(200, client.get("/health").status(), "the worker is fine");
    } finally {
      unexport(e);
    }
  }

  @Test
  void aChunkThatCannotBeHadFailsOnlyItsRequestWithEio() throws Exception {
    Set<ChunkName> first = new HashSet<>();
    Worker.Image one = worker.open(ImageName.parse(IMAGE));
    Worker.Image two = worker.open(ImageName.parse(BROKEN));
    int victim = -1;
    int healthy = -1;
    try {
      for (int i = 0; i < one.map().chunkCount(); i++) {
        one.map().chunk(i).ifPresent(first::add);
      }
      for (int i = 0; i < two.map().chunkCount() && (victim < 0 || healthy < 0); i++) {
        Optional<ChunkName> n = two.map().chunk(i);
        if (n.isPresent() && !first.contains(n.get())) {
          if (victim < 0) {
            victim = i;
            assertTrue(worker.store().chunks().delete(n.get()), "deleted " + n.get());
          } else if (!n.equals(two.map().chunk(victim))) {
            healthy = i;
          }
        }
      }
    } finally {
      one.device().close();
      two.device().close();
    }
    assertTrue(victim >= 0 && healthy >= 0);
    WorkerClient.Answer a = client.post("/nbd?image=" + BROKEN);
    assertEquals(200, a.status(), a.body());
    JsonNode e = JSON.readTree(a.body());
    try (RawClient c = new RawClient(Path.of(e.get("socket").asText()), 60)) {
      c.go(true);
      long chunk = 512 * 1024;
      c.request(0, NbdProto.CMD_READ, 1, victim * chunk, 4096, null);
      RawClient.Chunk err = c.structured().getLast();
      assertEquals(NbdProto.REPLY_TYPE_ERROR, err.type());
      assertEquals(NbdProto.EIO, err.buf().getInt());
      c.request(0, NbdProto.CMD_READ, 2, healthy * chunk, 4096, null);
      byte[] got = RawClient.assemble(c.structured(), healthy * chunk, 4096);
      assertArrayEquals(
          Arrays.copyOfRange(
              Files.readAllBytes(tmp.resolve("flat2.ext4")),
              (int) (healthy * chunk),
              (int) (healthy * chunk + 4096)),
          got,
          "the connection goes on");
      assertTrue(
          Processes.run(
                      Duration.ofMinutes(2),
                      null,
                      List.of(
                          "nbdcopy", e.get("uri").asText(), tmp.resolve("broken.img").toString()))
                  .exitCode()
              != 0,
          "nbdcopy sees the error");
    } finally {
      unexport(e);
    }
  }

  @Test
  void aGuestBootsFromTheExportWhereKvmWorks() {
    // Optional (a kernel and an initrd for a guest are not part of the fixtures): skipped with
    // its reason, never failed, even under CI.
    String reason =
        Requirements.findCommand("qemu-system-x86_64") == null
            ? "qemu-system-x86_64 is not installed"
            : !Files.isReadable(Path.of("/dev/kvm"))
                ? "/dev/kvm is not usable"
                : "booting a guest from the export is not automated yet";
    System.out.println("[skipped] guest boot from the NBD export: " + reason);
    org.junit.jupiter.api.Assumptions.abort(reason);
  }

  /** Every chunk of the store by name, with the SHA-256 of its bytes. */
  private static Map<String, String> storeChunks() throws Exception {
    Map<String, String> out = new TreeMap<>();
    Store store = worker.store();
    try (Stream<StoredChunk> s = store.chunks().list()) {
      for (StoredChunk c : s.toList()) {
        byte[] b = store.chunks().get(c.name()).orElseThrow();
        out.put(
            c.name().toString(),
            HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b)));
      }
    }
    assertFalse(out.isEmpty());
    return out;
  }
}
