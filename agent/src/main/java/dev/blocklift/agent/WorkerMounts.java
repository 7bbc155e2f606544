package dev.blocklift.agent;

import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ImageName;
import dev.blocklift.image.ImageConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/*
 * Design: the mounts of one worker, and how they outlive the worker process.
 *
 * Every image mount is: a device (lazy, behind a copy-on-write overlay unless read-only) that
 * appears as the file ID in the worker's one FUSE directory, a loop device over that file, and
 * ext4 mounted from the loop device on the target (a run adds its scratch and overlayfs on top,
 * see RunMounts). All of that but the device lives in the kernel: the worker's process holds only
 * the FUSE connection's fd, and FuseServer keeps a dup of it in a holder process, journals the
 * requests it has read but not answered, and can be adopted by a new process. So:
 *
 *   - every mount is first recorded as "mounting" (STATE/mounts/ID.json, 0600), then "mounted"
 *     once complete: a crash in between leaves a record that says what to undo;
 *   - on start, a worker that finds records and a live FUSE holder reopens each image (checking
 *     that the store still has the very manifest the mount was opened from), reopens each
 *     overlay (bound to the mount id and manifest digest, never another's), and adopts the FUSE
 *     connection: the kernel's pending requests, and the ones the dead worker had read, are
 *     answered by the new one, so a container reading through the mount only sees a pause;
 *   - what cannot be taken back (holder gone, manifest changed, overlay missing) is cleaned up
 *     completely: the target unmounted (lazily if busy), the loop device detached, the overlay
 *     deleted, and each step reported;
 *   - SIGTERM hands over (FuseServer.handOver: in-flight requests answered, fd closed, holder
 *     keeps the connection): the mounts stay for the next worker. Only umount, or close() when
 *     asked to unmount everything, removes them.
 *
 * Concurrency: mounts are keyed by their canonical target path; a target is reserved before any
 * slow work (putIfAbsent), so a second mount of one directory is refused at once while mounts of
 * other directories proceed in parallel (a mount stuck on a stalled store blocks only itself).
 */
/** The mounts of one worker: create, list, remove, and take back after a restart. */
final class WorkerMounts implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(WorkerMounts.class.getName());

  /** A live mount. */
  record Live(MountRecord record, BlockDevice device, ImageConfig config) {}

  private final Worker worker;
  private final Path state;
  private final Path mountsDir;
  private final Path overlays;
  private final MountTargets targets;
  private final FuseServer fuse;
  private final Map<String, Optional<Live>> byDir = new ConcurrentSkipListMap<>();
  private final Map<String, String> runToDir = new ConcurrentHashMap<>();
  private final List<String> cleaned = new ArrayList<>();

  private WorkerMounts(Worker worker, Path state, MountTargets targets, FuseServer fuse) {
    this.worker = worker;
    this.state = state;
    this.mountsDir = state.resolve("mounts");
    this.overlays = state.resolve("overlays");
    this.targets = targets;
    this.fuse = fuse;
  }

  Path state() {
    return state;
  }

  MountTargets targets() {
    return targets;
  }

  Worker worker() {
    return worker;
  }

  /** What the start-up cleaned up (mounts it could not take back), one line each. */
  List<String> cleaned() {
    return List.copyOf(cleaned);
  }

  /**
   * Opens the worker's mounts under {@code state}: takes back the mounts a previous worker left
   * (see the design note), or starts afresh.
   */
  static WorkerMounts open(Worker worker, Path state, MountTargets targets) throws IOException {
    SecureDirs.ensure(state);
    Path fuseDir = state.resolve("fuse");
    Path fuseState = state.resolve("fuse-state");
    Path mountsDir = state.resolve("mounts");
    List<String> report = new ArrayList<>();
    List<MountRecord> records = MountRecord.readAll(mountsDir, report);
    Map<String, Live> reopened = new HashMap<>();
    FuseServer fuse = null;
    if (Files.exists(fuseState.resolve("fuse.json"))) {
      Map<String, BlockDevice> devices = new HashMap<>();
      for (MountRecord r : records) {
        if (!r.status().equals("mounted")) {
          continue;
        }
        try {
          Live l = reopen(worker, state, r);
          devices.put(r.id(), l.device());
          reopened.put(r.id(), l);
        } catch (IOException | RuntimeException e) {
          report.add(
              "mount " + r.id() + " of " + r.image() + " on " + r.dir() + ": " + e.getMessage());
        }
      }
      try {
        fuse = FuseServer.adopt(fuseDir, fuseState, devices);
      } catch (IOException | RuntimeException e) {
        report.add("FUSE connection not taken back: " + e.getMessage());
        for (Live l : reopened.values()) {
          closeQuietly(l.device(), report);
        }
        reopened.clear();
        FuseServer.cleanup(fuseDir, fuseState);
      }
    } else if (ContainerRun.isMountPoint(fuseDir)) {
      Commands.run(List.of("umount", "-l", fuseDir.toString()));
      report.add("removed a stale FUSE mount on " + fuseDir);
    }
    if (fuse == null) {
      fuse = FuseServer.mount(fuseDir, fuseState);
    }
    WorkerMounts m = new WorkerMounts(worker, state, targets, fuse);
    for (MountRecord r : records) {
      Live l = reopened.get(r.id());
      if (l != null) {
        m.byDir.put(r.dir(), Optional.of(l));
        if (r.isRun()) {
          m.runToDir.put(r.runId(), r.dir());
        }
        LOG.log(System.Logger.Level.INFO, "took back " + r.image() + " on " + r.dir());
      } else {
        m.undo(r, null, report);
      }
    }
    m.deleteOrphanOverlays(report);
    m.cleaned.addAll(report);
    for (String line : report) {
      LOG.log(System.Logger.Level.WARNING, "cleanup: " + line);
    }
    return m;
  }

  private static Live reopen(Worker worker, Path state, MountRecord r) throws IOException {
    Worker.Image image = worker.open(ImageName.parse(r.image()));
    String digest = digestHex(image);
    if (!digest.equals(r.manifestDigest())) {
      image.device().close();
      throw new BlockliftException(
          "the store's manifest of "
              + r.image()
              + " is no longer the one mounted (was "
              + r.manifestDigest()
              + ", now "
              + digest
              + ")");
    }
    if (r.readOnly()) {
      return new Live(r, image.device(), image.config());
    }
    Path dir = state.resolve("overlays").resolve(r.id());
    if (!Files.isDirectory(dir)) {
      image.device().close();
      throw new BlockliftException("its overlay " + dir + " is gone");
    }
    CowOverlay ov = CowOverlay.open(dir, image.device().size(), identity(r));
    return new Live(r, new CowDevice(image.device(), ov, true), image.config());
  }

  static CowOverlay.Identity identity(MountRecord r) {
    return new CowOverlay.Identity(
        MountRecord.uuid(r.id()), HexFormat.of().parseHex(r.manifestDigest()));
  }

  private static String digestHex(Worker.Image image) {
    return HexFormat.of().formatHex(ImageMount.imageDigest(image.map()));
  }

  /** Mounts {@code image} on the user's {@code dir} (nodev, nosuid). */
  MountRecord mount(ImageName image, String dir, boolean readOnly) throws IOException {
    Path target = targets.check(dir);
    String key = target.toString();
    if (byDir.putIfAbsent(key, Optional.empty()) != null) {
      throw new BlockliftException(key + " is already mounted (or being mounted) by this worker");
    }
    try {
      Live l = attachAndMount("mount", image, target, readOnly, "", 0, 0);
      byDir.put(key, Optional.of(l));
      return l.record();
    } catch (IOException | RuntimeException e) {
      byDir.remove(key);
      throw e;
    }
  }

  /**
   * Attaches the image's device and loop-mounts it on {@code target}; the caller has reserved the
   * target. A run's rootfs is mounted read-only here (its writes go to the scratch).
   */
  Live attachAndMount(
      String kind,
      ImageName image,
      Path target,
      boolean readOnly,
      String runId,
      long clientPid,
      long clientStart)
      throws IOException {
    Worker.Image img = worker.open(image);
    String id = MountRecord.newId();
    MountRecord rec =
        new MountRecord(
            id,
            kind,
            "mounting",
            image.toString(),
            digestHex(img),
            target.toString(),
            readOnly,
            "",
            List.of(),
            runId,
            clientPid,
            clientStart);
    rec.write(mountsDir);
    BlockDevice device = img.device();
    try {
      if (!readOnly) {
        Path ovDir = SecureDirs.ensure(overlays).resolve(id);
        device =
            new CowDevice(
                img.device(), CowOverlay.open(ovDir, img.device().size(), identity(rec)), true);
      }
      Path file = fuse.attach(id, device);
      LoopMount loop = LoopMount.mount(file, target, readOnly, kind.equals("mount"));
      rec = rec.withLoop(loop.loopDevice(), List.of()).withStatus("mounted");
      rec.write(mountsDir);
      return new Live(rec, device, img.config());
    } catch (IOException | RuntimeException e) {
      List<String> problems = new ArrayList<>();
      undo(rec, device, problems);
      for (String p : problems) {
        e.addSuppressed(new IOException(p));
      }
      throw e;
    }
  }

  /** Registers a run's mount (made by RunMounts) under its directory. */
  void registerRun(Live l) {
    byDir.put(l.record().dir(), Optional.of(l));
    runToDir.put(l.record().runId(), l.record().dir());
  }

  /** Updates a live mount's record (e.g. a run adding its extra mounts). */
  Live update(MountRecord r) throws IOException {
    r.write(mountsDir);
    Optional<Live> now =
        byDir.computeIfPresent(r.dir(), (k, v) -> v.map(l -> new Live(r, l.device(), l.config())));
    if (now == null || now.isEmpty()) {
      throw new IllegalStateException("no live mount on " + r.dir() + " to update");
    }
    return now.get();
  }

  Optional<Live> run(String runId) {
    String dir = runToDir.get(runId);
    return dir == null ? Optional.empty() : byDir.getOrDefault(dir, Optional.empty());
  }

  List<MountRecord> list() {
    List<MountRecord> out = new ArrayList<>();
    for (Optional<Live> l : byDir.values()) {
      l.ifPresent(x -> out.add(x.record()));
    }
    return out;
  }

  /** Unmounts the user mount on {@code dir}. */
  void umount(String dir) throws IOException {
    Path p = Path.of(dir);
    String key =
        p.isAbsolute() && Files.exists(p) ? p.toRealPath().toString() : p.normalize().toString();
    Optional<Live> l = byDir.get(key);
    if (l == null || l.isEmpty()) {
      throw new BlockliftException(key + " is not mounted by this worker");
    }
    if (l.get().record().isRun()) {
      throw new BlockliftException(key + " is a container's rootfs; it goes when the run ends");
    }
    remove(l.get());
  }

  /** Undoes a live mount and forgets it. */
  void remove(Live l) throws IOException {
    List<String> problems = new ArrayList<>();
    undo(l.record(), l.device(), problems);
    byDir.remove(l.record().dir());
    if (l.record().isRun()) {
      runToDir.remove(l.record().runId());
    }
    if (!problems.isEmpty()) {
      throw new IOException(String.join("; ", problems));
    }
  }

  /**
   * Undoes whatever of {@code r} exists: extra mounts, the target, the loop device, the FUSE file,
   * the device and its overlay, the record. Each failure is added to {@code problems}.
   */
  private void undo(MountRecord r, BlockDevice device, List<String> problems) {
    for (String m : r.extraMounts()) {
      unmountPath(Path.of(m), problems);
    }
    unmountPath(Path.of(r.dir()), problems);
    try {
      if (!r.loopDevice().isEmpty()) {
        Commands.run(List.of("losetup", "-d", r.loopDevice()));
      }
      // A crash between losetup and the record: find loop devices still on this mount's file.
      for (String dev : loopDevicesOn(fuse == null ? null : fuse.mountPoint().resolve(r.id()))) {
        Commands.run(List.of("losetup", "-d", dev));
      }
    } catch (IOException e) {
      problems.add("losetup -d for " + r.id() + ": " + e.getMessage());
    }
    if (fuse != null) {
      fuse.detach(r.id());
    }
    if (device != null) {
      closeQuietly(device, problems);
    }
    try {
      MountDaemon.deleteTree(overlays.resolve(r.id()));
      MountRecord.delete(mountsDir, r.id());
    } catch (IOException e) {
      problems.add("state of " + r.id() + ": " + e.getMessage());
    }
    if (!r.status().equals("mounted") || device == null) {
      problems.add("cleaned up mount " + r.id() + " of " + r.image() + " on " + r.dir());
    }
  }

  private static List<String> loopDevicesOn(Path file) throws IOException {
    if (file == null) {
      return List.of();
    }
    Commands.Result res =
        Commands.run(List.of("losetup", "-n", "-O", "NAME", "-j", file.toString()));
    List<String> out = new ArrayList<>();
    for (String line : res.stdout().split("\n")) {
      if (line.strip().startsWith("/dev/")) {
        out.add(line.strip());
      }
    }
    return out;
  }

  static void unmountPath(Path p, List<String> problems) {
    if (!ContainerRun.isMountPoint(p)) {
      return;
    }
    if (!KernelMounts.unmount(p)) {
      problems.add("umount " + p + " failed, even lazily");
    }
  }

  private void deleteOrphanOverlays(List<String> report) throws IOException {
    if (!Files.isDirectory(overlays)) {
      return;
    }
    try (var s = Files.list(overlays)) {
      for (Path d : s.toList()) {
        String id = d.getFileName().toString();
        if (byDir.values().stream()
            .noneMatch(l -> l.isPresent() && l.get().record().id().equals(id))) {
          MountDaemon.deleteTree(d);
          report.add("deleted overlay " + d + " of no live mount");
        }
      }
    }
  }

  private static void closeQuietly(BlockDevice d, List<String> problems) {
    try {
      d.close();
    } catch (IOException | RuntimeException e) {
      problems.add("closing a device: " + e.getMessage());
    }
  }

  /**
   * For an upgrade or SIGTERM: leaves every mount in place for the next worker (FUSE handed over to
   * its holder, overlays flushed).
   */
  void handOver() throws IOException {
    fuse.handOver();
  }

  /** Unmounts everything and stops serving. */
  @Override
  public void close() throws IOException {
    List<String> problems = new ArrayList<>();
    for (Optional<Live> l : List.copyOf(byDir.values())) {
      if (l.isPresent()) {
        undo(l.get().record(), l.get().device(), problems);
      }
    }
    byDir.clear();
    runToDir.clear();
    fuse.close();
    problems.removeIf(p -> p.startsWith("cleaned up"));
    if (!problems.isEmpty()) {
      throw new IOException(String.join("; ", problems));
    }
  }
}
