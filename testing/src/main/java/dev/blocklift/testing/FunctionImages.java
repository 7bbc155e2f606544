package dev.blocklift.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;

/**
 * Lambda function images for tests, built from what this machine has and flattened to ext4 with
 * {@link Ext4Images#mkfs}: a shell custom runtime ({@link #shellRuntime}) and a Java function on
 * AWS's runtime interface client ({@link #javaRuntime}). Both speak the Lambda Runtime API at
 * {@code AWS_LAMBDA_RUNTIME_API} and log to the container's stdout and stderr.
 */
public final class FunctionImages {
  /** An ext4 file and the OCI image config (JSON) that goes with it. */
  @SuppressWarnings("ArrayRecordComponent") // test data, never mutated
  public record Image(Path ext4, byte[] config) {}

  /** An image's root file tree (not yet flattened) and its OCI image config (JSON). */
  @SuppressWarnings("ArrayRecordComponent") // test data, never mutated
  public record Tree(Path dir, byte[] config) {}

  /** The shell runtime's handlers (its {@code _HANDLER} values); see {@link #shellRuntime}. */
  public static final List<String> SHELL_HANDLERS =
      List.of("echo", "env", "sleep", "crash", "error", "log", "initfail", "nonext");

  /** The Java image's handlers: echo (its Cmd), a function error, and what the Context says. */
  public static final String JAVA_ECHO_HANDLER = "example.Handler::handleRequest";

  public static final String JAVA_ERROR_HANDLER = "example.Handler::fail";
  public static final String JAVA_CONTEXT_HANDLER = "example.Handler::context";

  /** The runtime interface client's main class; its first argument is the handler. */
  public static final String RIC_MAIN_CLASS =
      "com.amazonaws.services.lambda.runtime.api.client.AWSLambda";

  /** Where the Java image's jars go, and its class path. */
  public static final String JAVA_CLASS_PATH = "/var/runtime/lib/*:/var/task";

  /**
   * The JRE's modules: jdeps of the RIC and its jars names java.base, java.sql (the shaded
   * Jackson's java.sql.Date support) and jdk.unsupported (sun.misc.Unsafe); java.desktop (only
   * java.beans, optional in Jackson) is left out. The rest are cheap and keep common handlers
   * working.
   */
  static final List<String> JRE_MODULES =
      List.of(
          "java.base",
          "java.logging",
          "java.management",
          "java.naming",
          "java.sql",
          "java.xml",
          "jdk.unsupported");

  static final List<String> JLINK_OPTIONS =
      List.of(
          "--strip-debug",
          "--no-man-pages",
          "--no-header-files",
          "--compress",
          "zip-6",
          // A CDS archive of the JRE's own classes: a cold start loads them mapped, not parsed.
          "--generate-cds-archive",
          // The RIC System.load()s its JNI library: without this every cold start logs four
          // "restricted method" warnings. Baked into the JRE so the Entrypoint stays AWS's.
          "--add-options=--enable-native-access=ALL-UNNAMED");

  /** Runtime jars of the RIC (its pom's compile dependencies): artifact, needed. */
  private static final Map<String, Boolean> RIC_ARTIFACTS = ricArtifacts();

  private static final String BUSYBOX = "/bin/busybox";
  private static final String CURL = "/usr/bin/curl";
  private static final List<String> BUSYBOX_APPLETS =
      List.of(
          "sh",
          "ash",
          "cat",
          "echo",
          "printf",
          "sleep",
          "sed",
          "cut",
          "grep",
          "head",
          "tail",
          "tr",
          "env",
          "kill",
          "ls",
          "mkdir",
          "rm",
          "readlink",
          "wc",
          "date",
          "id",
          "ps",
          "true",
          "false",
          "test",
          "[",
          "uname",
          "hostname",
          "dd",
          "sha256sum",
          "wget",
          "nc");
  private static final String RESOURCES = "functions/";
  private static final Pattern LDD_LINE =
      Pattern.compile("^\\s*(?:\\S+\\s+=>\\s+)?(/\\S+)\\s+\\(0x[0-9a-f]+\\)\\s*$");

  private FunctionImages() {}

  /**
   * A {@code provided}-style custom runtime: busybox, {@code /usr/bin/curl} with its shared
   * libraries, {@code /var/runtime/bootstrap} (a sh loop over the Runtime API) and handlers in
   * {@code /var/task/function.sh}, chosen by {@code _HANDLER} or the first argument (Cmd {@code
   * ["echo"]}). Handlers: {@code echo} returns the event; {@code env} returns JSON with {@code
   * function_name}, {@code memory_size}, {@code handler}, {@code pid_ns} ({@code readlink
   * /proc/self/ns/pid}), {@code pid}, {@code invocations} (events this sandbox's /tmp has seen,
   * this one included) and {@code request_id}; {@code sleep} sleeps for the first number in the
   * event (seconds), then echoes; {@code crash} logs to stderr and exits 1 mid-invocation; {@code
   * error} reports a function error ({@code errorType} HandlerError); {@code log} writes a line to
   * stdout and one to stderr and returns {@code ok}; {@code initfail} posts an init error and exits
   * 1; {@code nonext} never asks for an event. Writes {@code workDir/shell-runtime.ext4} (its tree
   * stays in {@code workDir/shell-runtime}).
   */
  public static Image shellRuntime(Path workDir) throws IOException {
    Tree t = shellRuntimeTree(workDir);
    return new Image(mkfs(t.dir(), workDir.resolve("shell-runtime.ext4")), t.config());
  }

  /**
   * The tree of {@link #shellRuntime} in {@code workDir/shell-runtime}, not flattened (for images
   * packed otherwise, e.g. as an OCI layout), with its config.
   */
  public static Tree shellRuntimeTree(Path workDir) throws IOException {
    Path tree = baseTree(workDir.resolve("shell-runtime"));
    Path bin = tree.resolve("bin");
    Files.copy(Path.of(BUSYBOX), bin.resolve("busybox"), StandardCopyOption.COPY_ATTRIBUTES);
    for (String applet : BUSYBOX_APPLETS) {
      Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
    }
    copyExecutable(Path.of(CURL), tree.resolve("usr/bin/curl"));
    copySharedLibraries(tree, List.of(Path.of(BUSYBOX), Path.of(CURL)), null);
    Path bootstrap = tree.resolve("var/runtime/bootstrap");
    Files.write(bootstrap, resource("bootstrap"));
    Files.setPosixFilePermissions(bootstrap, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.write(tree.resolve("var/task/function.sh"), resource("function.sh"));
    byte[] config =
        config(
            List.of(
                "PATH=/usr/local/bin:/usr/bin:/bin",
                "LAMBDA_TASK_ROOT=/var/task",
                "LAMBDA_RUNTIME_DIR=/var/runtime"),
            List.of("/var/runtime/bootstrap"),
            List.of("echo"));
    return new Tree(tree, config);
  }

  /**
   * A Java function on AWS's runtime interface client: a jlinked JRE of this JDK in {@code
   * /opt/java} (cached under {@code java.io.tmpdir}, see {@link #jlinkedRuntime}) with the glibc
   * libraries it and the RIC's JNI library need, the RIC and its runtime jars (taken from {@code
   * java.class.path}) in {@code /var/runtime/lib}, and {@code example.Handler} compiled now into
   * {@code /var/task}: {@link #JAVA_ECHO_HANDLER} (the Cmd), {@link #JAVA_ERROR_HANDLER}, {@link
   * #JAVA_CONTEXT_HANDLER}. Writes {@code workDir/java-runtime.ext4} (its tree stays in {@code
   * workDir/java-runtime}).
   *
   * <p>The RIC (2.10.1) dies of SIGSEGV in its JNI client when a {@code /next} response has no
   * {@code Content-Type} header, or when {@code /next} answers with an error status.
   *
   * @throws IllegalStateException naming what is missing when the RIC's jars are not on the class
   *     path or this JVM has no compiler or jlink
   */
  public static Image javaRuntime(Path workDir) throws IOException {
    Tree t = javaRuntimeTree(workDir);
    return new Image(mkfs(t.dir(), workDir.resolve("java-runtime.ext4")), t.config());
  }

  /**
   * The tree of {@link #javaRuntime} in {@code workDir/java-runtime}, not flattened (for images
   * packed otherwise, e.g. as an OCI layout), with its config.
   *
   * @throws IllegalStateException as {@link #javaRuntime} does
   */
  public static Tree javaRuntimeTree(Path workDir) throws IOException {
    Map<String, Path> jars = ricJars(System.getProperty("java.class.path", ""));
    Path jre = jlinkedRuntime();
    Path tree = baseTree(workDir.resolve("java-runtime"));
    Path javaHome = tree.resolve("opt/java");
    copyTree(jre, javaHome);
    // Only used by heaps of 32 GiB and more (no compressed oops): 14 MB a sandbox never reads.
    Files.deleteIfExists(javaHome.resolve("lib/server/classes_nocoops.jsa"));

    Path lib = tree.resolve("var/runtime/lib");
    Files.createDirectories(lib);
    for (Path jar : jars.values()) {
      Files.copy(jar, lib.resolve(jar.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
    }
    compileHandler(jars.get("aws-lambda-java-core"), tree.resolve("var/task"));

    List<Path> natives = new ArrayList<>();
    try (var files = Files.walk(jre)) {
      files
          .filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
          .filter(
              p -> p.getFileName().toString().endsWith(".so") || p.startsWith(jre.resolve("bin")))
          .forEach(natives::add);
    }
    Path jni = extractJni(jars.get("aws-lambda-java-runtime-interface-client"), workDir);
    natives.add(jni);
    try {
      copySharedLibraries(tree, natives, jre);
    } finally {
      Files.deleteIfExists(jni);
    }

    byte[] config =
        config(
            List.of(
                "PATH=/opt/java/bin:/usr/local/bin:/usr/bin:/bin",
                "JAVA_HOME=/opt/java",
                "LAMBDA_TASK_ROOT=/var/task",
                "LAMBDA_RUNTIME_DIR=/var/runtime"),
            List.of(
                "/opt/java/bin/java",
                "-XX:+UseSerialGC",
                "-Xshare:auto",
                "-cp",
                JAVA_CLASS_PATH,
                RIC_MAIN_CLASS),
            List.of(JAVA_ECHO_HANDLER));
    return new Tree(tree, config);
  }

  /**
   * A JRE of this JDK's {@link #JRE_MODULES}, jlinked once per JDK and module set into {@code
   * java.io.tmpdir/blocklift-test-jre-<hash>} and reused: built in a temporary directory and
   * renamed into place, so a concurrent or interrupted build never leaves a partial one there.
   */
  public static Path jlinkedRuntime() throws IOException {
    Path jdk = jdkHome();
    Path jlink = jdk.resolve("bin/jlink");
    if (!Files.isExecutable(jlink)) {
      throw new IllegalStateException(
          "no jlink in " + jdk + ": the Java function image needs a JDK");
    }
    StringBuilder key = new StringBuilder(jdk.toRealPath().toString()).append('\n');
    Path release = jdk.resolve("release");
    if (Files.exists(release)) {
      key.append(Files.readString(release, StandardCharsets.UTF_8));
    }
    key.append(JRE_MODULES).append(JLINK_OPTIONS);
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    Path target = tmp.resolve("blocklift-test-jre-" + sha256(key.toString()).substring(0, 16));
    if (Files.isExecutable(target.resolve("bin/java"))) {
      return target;
    }
    Path building =
        tmp.resolve(
            target.getFileName()
                + ".tmp-"
                + ProcessHandle.current().pid()
                + "-"
                + System.nanoTime());
    try {
      List<String> command = new ArrayList<>();
      command.add(jlink.toString());
      command.add("--add-modules");
      command.add(String.join(",", JRE_MODULES));
      command.addAll(JLINK_OPTIONS);
      command.add("--output");
      command.add(building.toString());
      Processes.run(Duration.ofMinutes(10), null, command).assertSuccess(command);
      try {
        Files.move(building, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
        // Another build got there first; its JRE is as good as ours.
      }
      return target;
    } finally {
      if (Files.exists(building, LinkOption.NOFOLLOW_LINKS)) {
        deleteTree(building);
      }
    }
  }

  /** The directories every image has; /tmp is 1777 (the RIC unpacks its JNI library there). */
  private static Path baseTree(Path tree) throws IOException {
    for (String dir :
        List.of(
            "bin",
            "usr/bin",
            "usr/local/bin",
            "lib64",
            "etc",
            "tmp",
            "proc",
            "dev",
            "sys",
            "root",
            "var/task",
            "var/runtime",
            "opt")) {
      Files.createDirectories(tree.resolve(dir));
    }
    // chmod(1): Files.setPosixFilePermissions cannot set the sticky bit.
    Processes.check(List.of("chmod", "1777", tree.resolve("tmp").toString()));
    Files.writeString(
        tree.resolve("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
        StandardCharsets.UTF_8);
    Files.writeString(
        tree.resolve("etc/group"), "root:x:0:\nnogroup:x:65534:\n", StandardCharsets.UTF_8);
    Files.writeString(
        tree.resolve("etc/hosts"), "127.0.0.1 localhost\n::1 localhost\n", StandardCharsets.UTF_8);
    Files.writeString(
        tree.resolve("etc/nsswitch.conf"),
        "passwd: files\ngroup: files\nhosts: files dns\n",
        StandardCharsets.UTF_8);
    return tree;
  }

  private static Path mkfs(Path tree, Path img) throws IOException {
    long[] bytes = {0};
    Files.walkFileTree(
        tree,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            bytes[0] += 4096;
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            bytes[0] += (attrs.size() + 4095) / 4096 * 4096 + 256;
            return FileVisitResult.CONTINUE;
          }
        });
    // A fifth more for metadata, plus room for the journal and inode tables of a small ext4.
    long mib = bytes[0] * 6 / 5 / (1024 * 1024) + 24;
    return Ext4Images.mkfs(tree, img, mib + "M");
  }

  private static byte[] config(List<String> env, List<String> entrypoint, List<String> cmd) {
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("Env", env);
    inner.put("Entrypoint", entrypoint);
    inner.put("Cmd", cmd);
    inner.put("WorkingDir", "/var/task");
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("architecture", "amd64");
    config.put("os", "linux");
    config.put("config", inner);
    try {
      return new ObjectMapper().writeValueAsBytes(config);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void copyExecutable(Path source, Path target) throws IOException {
    Files.createDirectories(target.getParent());
    Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
  }

  /**
   * Copies into {@code tree}, at the same paths, the shared libraries and the dynamic loader that
   * {@code ldd} lists for each of {@code elves} (symlinks resolved: the file lands under the name
   * the loader asks for); libraries inside {@code skipUnder} (the JRE, copied whole) are left out.
   */
  private static void copySharedLibraries(Path tree, List<Path> elves, Path skipUnder)
      throws IOException {
    Set<Path> libraries = new LinkedHashSet<>();
    for (Path elf : elves) {
      List<String> command = List.of("ldd", elf.toString());
      // ldd exits 1 for a static executable ("not a dynamic executable"): nothing to copy.
      Processes.Result ldd = Processes.run(command);
      if (ldd.exitCode() != 0) {
        continue;
      }
      for (String line : ldd.stdout().split("\n")) {
        Matcher m = LDD_LINE.matcher(line);
        if (!m.matches()) {
          continue;
        }
        Path library = Path.of(m.group(1)).normalize();
        if (skipUnder == null || !library.startsWith(skipUnder)) {
          libraries.add(library);
        }
      }
    }
    for (Path library : libraries) {
      Path target = tree.resolve(library.toString().substring(1));
      if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
        copyExecutable(library, target);
      }
    }
  }

  private static void copyTree(Path source, Path target) throws IOException {
    Files.walkFileTree(
        source,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
              throws IOException {
            Files.createDirectories(target.resolve(source.relativize(dir).toString()));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            // COPY_ATTRIBUTES keeps modification times: the CDS archive checks lib/modules's.
            Files.copy(
                file,
                target.resolve(source.relativize(file).toString()),
                StandardCopyOption.COPY_ATTRIBUTES,
                LinkOption.NOFOLLOW_LINKS);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  private static void deleteTree(Path root) throws IOException {
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            Files.delete(dir);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  private static Map<String, Boolean> ricArtifacts() {
    Map<String, Boolean> artifacts = new LinkedHashMap<>();
    artifacts.put("aws-lambda-java-runtime-interface-client", true);
    artifacts.put("aws-lambda-java-core", true);
    artifacts.put("aws-lambda-java-serialization", true);
    artifacts.put("utils-lite", true);
    // utils-lite's dependency: only annotations (retention CLASS), so not needed at run time.
    artifacts.put("annotations", false);
    return artifacts;
  }

  /** The RIC's runtime jars on {@code classPath}, by artifact name. */
  static Map<String, Path> ricJars(String classPath) {
    Map<String, Path> found = new LinkedHashMap<>();
    for (String entry : classPath.split(java.io.File.pathSeparator)) {
      if (entry.isEmpty() || !entry.endsWith(".jar")) {
        continue;
      }
      Path jar = Path.of(entry);
      String name = jar.getFileName().toString();
      for (String artifact : RIC_ARTIFACTS.keySet()) {
        // artifact-1.2.3.jar; "annotations" only as the AWS SDK's (a common artifact name).
        boolean matches =
            name.matches(Pattern.quote(artifact) + "-\\d[^/]*\\.jar")
                && (!artifact.equals("annotations") || entry.contains("awssdk"));
        if (matches && !found.containsKey(artifact)) {
          found.put(artifact, jar);
        }
      }
    }
    List<String> missing = new ArrayList<>();
    RIC_ARTIFACTS.forEach(
        (artifact, needed) -> {
          if (needed && !found.containsKey(artifact)) {
            missing.add(artifact);
          }
        });
    if (!missing.isEmpty()) {
      throw new IllegalStateException(
          "the Java function image needs these jars on java.class.path: "
              + String.join(", ", missing)
              + " (add com.amazonaws:aws-lambda-java-runtime-interface-client as a test"
              + " dependency)");
    }
    return found;
  }

  private static void compileHandler(Path coreJar, Path classes) throws IOException {
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    if (compiler == null) {
      throw new IllegalStateException(
          "no Java compiler in " + System.getProperty("java.home") + ": run the tests on a JDK");
    }
    String source = new String(resource("java/example/Handler.java"), StandardCharsets.UTF_8);
    JavaFileObject file =
        new SimpleJavaFileObject(
            URI.create("string:///example/Handler.java"), JavaFileObject.Kind.SOURCE) {
          @Override
          public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return source;
          }
        };
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    List<String> options =
        List.of(
            "-d",
            classes.toString(),
            "-cp",
            coreJar.toString(),
            "--release",
            Integer.toString(Runtime.version().feature()),
            "-proc:none");
    boolean ok = compiler.getTask(null, null, diagnostics, options, null, List.of(file)).call();
    if (!ok) {
      throw new IllegalStateException(
          "example.Handler did not compile: " + diagnostics.getDiagnostics());
    }
  }

  /** The RIC's glibc x86-64 JNI library, unpacked so that ldd can name what it links. */
  private static Path extractJni(Path ricJar, Path workDir) throws IOException {
    String entry = "jni/libaws-lambda-jni.linux-x86_64.so";
    try (ZipFile zip = new ZipFile(ricJar.toFile())) {
      var jni = zip.getEntry(entry);
      if (jni == null) {
        throw new IllegalStateException(ricJar + " has no " + entry);
      }
      Path out = Files.createTempFile(workDir, "libaws-lambda-jni", ".so");
      try (InputStream in = zip.getInputStream(jni)) {
        Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
      }
      return out;
    }
  }

  private static Path jdkHome() {
    Path home = Path.of(System.getProperty("java.home"));
    if (Files.isExecutable(home.resolve("bin/jlink"))) {
      return home;
    }
    return Path.of("/usr/lib/jvm/temurin-25-jdk-amd64");
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = FunctionImages.class.getResourceAsStream(RESOURCES + name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + RESOURCES + name);
      }
      return in.readAllBytes();
    }
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
