package dev.blocklift.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The function images: clean ext4 with the runtime layout (e2fsck, debugfs), and, as root with
 * runc, each one run as a container against a {@link FakeRuntimeApi}.
 */
class FunctionImagesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, String> FUNCTION_ENV =
      Map.of(
          "AWS_LAMBDA_FUNCTION_NAME", "fixture",
          "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256",
          "AWS_LAMBDA_FUNCTION_VERSION", "$LATEST",
          "AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/fixture",
          "AWS_LAMBDA_LOG_STREAM_NAME", "fixture-stream");

  @TempDir static Path dir;
  private static FunctionImages.Image shell;
  private static FunctionImages.Image java;

  @BeforeAll
  static void build() throws IOException {
    Requirements.commands("mkfs.ext4", "e2fsck", "debugfs", "ldd");
    long t0 = System.nanoTime();
    shell = FunctionImages.shellRuntime(dir);
    long t1 = System.nanoTime();
    java = FunctionImages.javaRuntime(dir);
    long t2 = System.nanoTime();
    System.out.printf(
        "shell image %d MiB in %d ms, java image %d MiB in %d ms%n",
        Files.size(shell.ext4()) >> 20,
        (t1 - t0) / 1_000_000,
        Files.size(java.ext4()) >> 20,
        (t2 - t1) / 1_000_000);
  }

  @Test
  void shellImageIsCleanExt4WithTheCustomRuntimeLayout() throws IOException {
    fsck(shell);
    String bootstrap = debugfs(shell, "stat /var/runtime/bootstrap");
    assertTrue(bootstrap.contains("Type: regular"), bootstrap);
    assertTrue(bootstrap.contains("Mode:  0755"), bootstrap);
    assertTrue(debugfs(shell, "stat /tmp").contains("Mode:  01777"));
    assertTrue(debugfs(shell, "stat /bin/sh").contains("Type: symlink"));
    for (String file :
        List.of(
            "/bin/busybox",
            "/usr/bin/curl",
            "/lib64/ld-linux-x86-64.so.2",
            "/lib/x86_64-linux-gnu/libcurl.so.4",
            "/lib/x86_64-linux-gnu/libc.so.6",
            "/var/task/function.sh")) {
      assertTrue(debugfs(shell, "stat " + file).contains("Type: regular"), file);
    }
    JsonNode config = JSON.readTree(shell.config());
    assertEquals("amd64", config.path("architecture").asText());
    assertEquals(
        "[\"/var/runtime/bootstrap\"]", config.path("config").path("Entrypoint").toString());
    assertEquals("[\"echo\"]", config.path("config").path("Cmd").toString());
    assertEquals("/var/task", config.path("config").path("WorkingDir").asText());
    assertTrue(
        config.path("config").path("Env").toString().contains("PATH=/usr/local/bin:/usr/bin:/bin"));
  }

  @Test
  void javaImageIsCleanExt4WithTheRuntimeInterfaceClient() throws IOException {
    fsck(java);
    for (String file :
        List.of(
            "/opt/java/bin/java",
            "/opt/java/lib/server/libjvm.so",
            "/opt/java/lib/server/classes.jsa",
            "/opt/java/lib/modules",
            "/lib64/ld-linux-x86-64.so.2",
            "/lib/x86_64-linux-gnu/libc.so.6",
            // the RIC's JNI library links libgcc_s, which the JRE does not
            "/lib/x86_64-linux-gnu/libgcc_s.so.1",
            "/var/runtime/lib/aws-lambda-java-runtime-interface-client-2.10.1.jar",
            "/var/task/example/Handler.class")) {
      assertTrue(debugfs(java, "stat " + file).contains("Type: regular"), file);
    }
    String jars = debugfs(java, "ls /var/runtime/lib");
    for (String artifact :
        List.of("aws-lambda-java-core-", "aws-lambda-java-serialization-", "utils-lite-")) {
      assertTrue(jars.contains(artifact), artifact + " in " + jars);
    }
    assertTrue(debugfs(java, "stat /tmp").contains("Mode:  01777"));
    JsonNode config = JSON.readTree(java.config()).path("config");
    assertEquals(
        "[\"/opt/java/bin/java\",\"-XX:+UseSerialGC\",\"-Xshare:auto\",\"-cp\","
            + "\"/var/runtime/lib/*:/var/task\","
            + "\"com.amazonaws.services.lambda.runtime.api.client.AWSLambda\"]",
        config.path("Entrypoint").toString());
    assertEquals("[\"example.Handler::handleRequest\"]", config.path("Cmd").toString());
  }

  @Test
  void missingRuntimeInterfaceClientJarsAreNamed() {
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> FunctionImages.ricJars("/x/other-1.0.jar"));
    assertTrue(e.getMessage().contains("aws-lambda-java-runtime-interface-client"), e.getMessage());
    assertTrue(e.getMessage().contains("utils-lite"), e.getMessage());
  }

  @Test
  void jlinkedRuntimeIsCachedAndReused() throws IOException {
    Path first = FunctionImages.jlinkedRuntime();
    assertEquals(first, FunctionImages.jlinkedRuntime());
    assertTrue(first.getFileName().toString().startsWith("blocklift-test-jre-"), first.toString());
    assertTrue(first.startsWith(Path.of(System.getProperty("java.io.tmpdir"))), first.toString());
  }

  @Test
  void shellBinariesRunInTheContainer() throws Exception {
    requireContainers();
    try (var c = RuncContainer.start(shell, List.of("/usr/bin/curl", "--version"), Map.of(), dir)) {
      assertEquals(0, c.awaitExit(Duration.ofSeconds(30)), c.output());
      assertTrue(c.output().startsWith("curl "), c.output());
    }
  }

  @Test
  void shellEchoReturnsTheEventToTheRuntimeApi() throws Exception {
    requireContainers();
    String event = "{\"hello\":\"world\",\"n\":[1,2,3]}";
    try (var api = new FakeRuntimeApi(List.of(event));
        var c = RuncContainer.start(shell, null, runtimeEnv(api, "echo"), dir)) {
      FakeRuntimeApi.Post post = api.awaitPost(30);
      assertEquals("/invocation/req-1/response", post.path(), c.output());
      assertEquals(event, post.body());
    }
  }

  @Test
  void shellEnvTellsAWarmSandboxByItsCounterAndPidNamespace() throws Exception {
    requireContainers();
    try (var api = new FakeRuntimeApi(List.of("{}", "{}"));
        var c = RuncContainer.start(shell, null, runtimeEnv(api, "env"), dir)) {
      JsonNode first = JSON.readTree(api.awaitPost(30).body());
      JsonNode second = JSON.readTree(api.awaitPost(30).body());
      assertEquals("fixture", first.path("function_name").asText(), c.output());
      assertEquals("256", first.path("memory_size").asText());
      assertEquals("env", first.path("handler").asText());
      assertEquals(1, first.path("pid").asInt(), "bootstrap is the container's PID 1");
      assertTrue(first.path("pid_ns").asText().startsWith("pid:["), first.toString());
      assertNotEquals(
          Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString(),
          first.path("pid_ns").asText(),
          "the container's own PID namespace");
      assertEquals(first.path("pid_ns"), second.path("pid_ns"));
      assertEquals(1, first.path("invocations").asInt());
      assertEquals(2, second.path("invocations").asInt());
      assertEquals("req-2", second.path("request_id").asText());
    }
  }

  @Test
  void shellErrorAndLogHandlers() throws Exception {
    requireContainers();
    try (var api = new FakeRuntimeApi(List.of("{}"));
        var c = RuncContainer.start(shell, null, runtimeEnv(api, "error"), dir)) {
      FakeRuntimeApi.Post post = api.awaitPost(30);
      assertEquals("/invocation/req-1/error", post.path(), c.output());
      assertEquals("HandlerError", post.header("Lambda-Runtime-Function-Error-Type"));
      JsonNode body = JSON.readTree(post.body());
      assertEquals("HandlerError", body.path("errorType").asText());
      assertEquals("error on purpose", body.path("errorMessage").asText());
    }
    try (var api = new FakeRuntimeApi(List.of("{}"));
        var c = RuncContainer.start(shell, null, runtimeEnv(api, "log"), dir)) {
      FakeRuntimeApi.Post post = api.awaitPost(30);
      assertEquals("/invocation/req-1/response", post.path(), c.output());
      assertEquals("ok", post.body());
      assertTrue(c.output().contains("log to stdout from request req-1"), c.output());
      assertTrue(c.output().contains("log to stderr from request req-1"), c.output());
    }
  }

  @Test
  void shellInitFailureAndCrashEndTheRuntime() throws Exception {
    requireContainers();
    try (var api = new FakeRuntimeApi(List.of());
        var c = RuncContainer.start(shell, null, runtimeEnv(api, "initfail"), dir)) {
      FakeRuntimeApi.Post post = api.awaitPost(30);
      assertEquals("/init/error", post.path(), c.output());
      assertEquals("InitError", JSON.readTree(post.body()).path("errorType").asText());
      assertEquals(1, c.awaitExit(Duration.ofSeconds(30)));
    }
    try (var api = new FakeRuntimeApi(List.of("{}"));
        var c = RuncContainer.start(shell, null, runtimeEnv(api, "crash"), dir)) {
      assertEquals(1, c.awaitExit(Duration.ofSeconds(30)), c.output());
      assertTrue(c.output().contains("crashing on purpose in request req-1"), c.output());
    }
  }

  @Test
  void shellSleepAnswersAfterTheSleep() throws Exception {
    requireContainers();
    String event = "{\"seconds\": 1}";
    try (var api = new FakeRuntimeApi(List.of(event));
        var c = RuncContainer.start(shell, null, runtimeEnv(api, "sleep"), dir)) {
      long start = System.nanoTime();
      FakeRuntimeApi.Post post = api.awaitPost(30);
      assertTrue(System.nanoTime() - start >= 900_000_000L, "answered before sleeping");
      assertEquals("/invocation/req-1/response", post.path(), c.output());
      assertEquals(event, post.body());
      assertTrue(c.output().contains("sleeping 1s"), c.output());
    }
  }

  @Test
  void shellNonextNeverAsksAndStopsOnSigterm() throws Exception {
    requireContainers();
    try (var api = new FakeRuntimeApi(List.of("{}"));
        var c = RuncContainer.start(shell, null, runtimeEnv(api, "nonext"), dir)) {
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (!c.output().contains("never asking") && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      Thread.sleep(500);
      assertEquals(0, api.nextCalls(), c.output());
      // bootstrap is PID 1: only its trap makes SIGTERM end it (and its sleep) at once
      c.signal("TERM");
      assertEquals(143, c.awaitExit(Duration.ofSeconds(10)), c.output());
    }
  }

  @Test
  void javaRunsWithItsCdsArchive() throws Exception {
    requireContainers();
    try (var c =
        RuncContainer.start(
            java, List.of("/opt/java/bin/java", "-Xshare:on", "-version"), Map.of(), dir)) {
      assertEquals(0, c.awaitExit(Duration.ofSeconds(60)), c.output());
      assertTrue(c.output().contains("version \"" + Runtime.version().feature()), c.output());
    }
  }

  @Test
  void javaRuntimeInterfaceClientEchoesTheEvent() throws Exception {
    requireContainers();
    String event = "{\"hello\":\"java\"}";
    try (var api = new FakeRuntimeApi(List.of(event));
        var c = RuncContainer.start(java, null, runtimeEnv(api, null), dir)) {
      FakeRuntimeApi.Post post = api.awaitPost(60);
      assertEquals("/invocation/req-1/response", post.path(), c.output());
      assertEquals(event, post.body());
      assertFalse(c.output().contains("WARNING"), c.output());
    }
  }

  @Test
  void javaHandlerExceptionIsAFunctionError() throws Exception {
    requireContainers();
    try (var api = new FakeRuntimeApi(List.of("{}"));
        var c =
            RuncContainer.start(
                java, javaCommand(FunctionImages.JAVA_ERROR_HANDLER), runtimeEnv(api, null), dir)) {
      FakeRuntimeApi.Post post = api.awaitPost(60);
      assertEquals("/invocation/req-1/error", post.path(), c.output());
      assertNotNull(post.header("Lambda-Runtime-Function-Error-Type"), post.toString());
      JsonNode body = JSON.readTree(post.body());
      assertEquals("java.lang.RuntimeException", body.path("errorType").asText(), post.body());
      assertEquals("error on purpose", body.path("errorMessage").asText(), post.body());
    }
  }

  @Test
  void javaContextCarriesTheInvocation() throws Exception {
    requireContainers();
    try (var api = new FakeRuntimeApi(List.of("{}"));
        var c =
            RuncContainer.start(
                java,
                javaCommand(FunctionImages.JAVA_CONTEXT_HANDLER),
                runtimeEnv(api, null),
                dir)) {
      FakeRuntimeApi.Post post = api.awaitPost(60);
      assertEquals("/invocation/req-1/response", post.path(), c.output());
      JsonNode body = JSON.readTree(post.body());
      assertEquals("req-1", body.path("request_id").asText(), post.body());
      assertEquals("fixture", body.path("function_name").asText(), post.body());
      assertEquals(256, body.path("memory_limit_mb").asInt(), post.body());
      assertTrue(body.path("remaining_ms").asLong() > 0, post.body());
    }
  }

  private static void requireContainers() {
    Requirements.loopDevices();
    Requirements.commands("runc", "mount", "umount");
  }

  private static Map<String, String> runtimeEnv(FakeRuntimeApi api, String handler) {
    Map<String, String> env = new java.util.LinkedHashMap<>(FUNCTION_ENV);
    env.put("AWS_LAMBDA_RUNTIME_API", api.address());
    if (handler != null) {
      env.put("_HANDLER", handler);
    }
    return env;
  }

  /** The Java image's entrypoint with another handler in place of its Cmd. */
  private static List<String> javaCommand(String handler) throws IOException {
    List<String> argv = new ArrayList<>();
    JSON.readTree(java.config())
        .path("config")
        .path("Entrypoint")
        .forEach(a -> argv.add(a.asText()));
    argv.add(handler);
    return argv;
  }

  private static void fsck(FunctionImages.Image image) throws IOException {
    Processes.check(List.of("e2fsck", "-fn", image.ext4().toString()));
  }

  private static String debugfs(FunctionImages.Image image, String request) throws IOException {
    return Processes.check(List.of("debugfs", "-R", request, image.ext4().toString())).stdout();
  }
}
