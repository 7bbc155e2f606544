package dev.blocklift.functions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.blocklift.agent.WorkerClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Functions on a real worker, through its unix-socket Invoke API: the shell custom runtime (busybox
 * sh + curl) in lazily loaded sandboxes under runc. Cold and warm invokes, errors as Lambda reports
 * them, throttles, timeouts, crashes, init failures, log tails and updates.
 */
class FunctionsInvokeTest {
  @TempDir static Path tmp;
  private static FunctionWorld world;

  @BeforeAll
  static void start() throws Exception {
    FunctionWorld.requirements();
    Path home = tmp.resolve("home");
    FunctionWorld.convertImages(tmp, home, false);
    world = FunctionWorld.start(tmp, home, FunctionWorld.options(home), false);
  }

  @AfterAll
  static void stop() throws Exception {
    if (world != null) {
      world.close();
    }
  }

  private static JsonNode json(WorkerClient.Answer a) throws Exception {
    return FunctionWorld.JSON.readTree(a.body());
  }

  private static long runMounts() throws Exception {
    JsonNode mounts = FunctionWorld.JSON.readTree(world.client.get("/mounts").body());
    long n = 0;
    for (JsonNode m : mounts) {
      if (m.has("run")) {
        n++;
      }
    }
    return n;
  }

  @Test
  void coldThenWarmInvokeReusesTheSandbox() throws Exception {
    world.create("env-fn", FunctionWorld.SHELL, "env", 128, 10, "");
    WorkerClient.Answer cold = world.invoke("env-fn", "{\"n\":1}");
    assertEquals(200, cold.status(), cold.body());
    assertEquals("$LATEST", cold.header("x-amz-executed-version").orElseThrow());
    assertTrue(cold.header("x-amz-function-error").isEmpty(), cold.body());
    JsonNode first = json(cold);
    assertEquals("env-fn", first.get("function_name").asText());
    assertEquals("128", first.get("memory_size").asText());
    assertEquals("env", first.get("handler").asText());
    assertEquals(1, first.get("invocations").asInt());
    long mountsAfterCold = runMounts();

    WorkerClient.Answer warm = world.invoke("env-fn", "{\"n\":2}");
    assertEquals(200, warm.status(), warm.body());
    JsonNode second = json(warm);
    // The same sandbox: its PID namespace, its /tmp counter, no new mount.
    assertEquals(first.get("pid_ns").asText(), second.get("pid_ns").asText());
    assertEquals(2, second.get("invocations").asInt());
    assertEquals(mountsAfterCold, runMounts());
    assertEquals(
        1.0, world.metric("blocklift_function_cold_starts_total{function=\"env-fn\"}"), 0.0);
    assertEquals(
        2.0, world.metric("blocklift_function_invocations_total{function=\"env-fn\"}"), 0.0);
  }

  @Test
  void lambdaErrorsHaveLambdasTypesAndStatuses() throws Exception {
    WorkerClient.Answer missing = world.invoke("no-such-fn", "{}");
    assertEquals(404, missing.status());
    assertEquals("ResourceNotFoundException", missing.header("x-amzn-errortype").orElseThrow());
    assertTrue(json(missing).get("message").asText().contains("no-such-fn"));

    world.create("echo-fn", FunctionWorld.SHELL, "echo", 128, 10, "");
    WorkerClient.Answer garbage = world.invoke("echo-fn", "{not json");
    assertEquals(400, garbage.status());
    assertEquals(
        "InvalidRequestContentException", garbage.header("x-amzn-errortype").orElseThrow());

    String big = "\"" + "x".repeat(6 * 1024 * 1024) + "\"";
    WorkerClient.Answer tooBig = world.invoke("echo-fn", big);
    assertEquals(413, tooBig.status());
    assertEquals("RequestTooLargeException", tooBig.header("x-amzn-errortype").orElseThrow());

    WorkerClient.Answer dry =
        world.invoke("echo-fn", "{}", Map.of("X-Amz-Invocation-Type", "DryRun"));
    assertEquals(204, dry.status());

    WorkerClient.Answer dup =
        world.send(
            "POST",
            "/2015-03-31/functions",
            "{\"FunctionName\":\"echo-fn\",\"Code\":{\"ImageUri\":\"fn/shell:1\"}}",
            Map.of());
    assertEquals(409, dup.status());
    assertEquals("ResourceConflictException", dup.header("x-amzn-errortype").orElseThrow());

    WorkerClient.Answer badMemory =
        world.send(
            "POST",
            "/2015-03-31/functions",
            "{\"FunctionName\":\"bad\",\"Code\":{\"ImageUri\":\"fn/shell:1\"},\"MemorySize\":64}",
            Map.of());
    assertEquals(400, badMemory.status());
    assertTrue(json(badMemory).get("message").asText().contains("64"), badMemory.body());

    WorkerClient.Answer noImage =
        world.send(
            "POST",
            "/2015-03-31/functions",
            "{\"FunctionName\":\"ghost\",\"Code\":{\"ImageUri\":\"fn/absent:1\"}}",
            Map.of());
    assertEquals(400, noImage.status());
    assertTrue(
        json(noImage).get("message").asText().contains("fn/absent:1 is not in store"),
        noImage.body());

    WorkerClient.Answer echoed = world.invoke("echo-fn", "{\"hello\":\"world\"}");
    assertEquals("{\"hello\":\"world\"}", echoed.body().strip());
  }

  @Test
  void aFunctionErrorAndItsLogTail() throws Exception {
    world.create("err-fn", FunctionWorld.SHELL, "error", 128, 10, "");
    WorkerClient.Answer a = world.invoke("err-fn", "{}", Map.of("X-Amz-Log-Type", "Tail"));
    assertEquals(200, a.status());
    assertEquals("Unhandled", a.header("x-amz-function-error").orElseThrow());
    assertEquals("HandlerError", json(a).get("errorType").asText());
    String log =
        new String(
            Base64.getDecoder().decode(a.header("x-amz-log-result").orElseThrow()),
            StandardCharsets.UTF_8);
    assertTrue(log.contains("failing on purpose in request"), log);
    assertTrue(log.contains("START RequestId: "), log);
    assertTrue(log.contains("END RequestId: "), log);
    assertTrue(
        log.matches(
            "(?s).*REPORT RequestId: \\S+\tDuration: [0-9.]+ ms\tBilled Duration: "
                + "\\d+ ms\tMemory Size: 128 MB\tMax Memory Used: \\d+ MB\tInit Duration: [0-9.]+ ms.*"),
        log);

    world.create("log-fn", FunctionWorld.SHELL, "log", 128, 10, "");
    WorkerClient.Answer ok = world.invoke("log-fn", "{}", Map.of("X-Amz-Log-Type", "Tail"));
    String okLog =
        new String(
            Base64.getDecoder().decode(ok.header("x-amz-log-result").orElseThrow()),
            StandardCharsets.UTF_8);
    assertTrue(okLog.contains("log to stdout from request"), okLog);
    assertTrue(okLog.contains("log to stderr from request"), okLog);
    assertEquals("ok", ok.body());
  }

  @Test
  void aTimeoutKillsTheInvokeAndTheNextStartsAFreshSandbox() throws Exception {
    world.create("slow-fn", FunctionWorld.SHELL, "sleep", 128, 1, "");
    WorkerClient.Answer a = world.invoke("slow-fn", "{\"seconds\":30}");
    assertEquals(200, a.status());
    assertEquals("Unhandled", a.header("x-amz-function-error").orElseThrow());
    JsonNode err = json(a);
    assertEquals("Sandbox.Timedout", err.get("errorType").asText());
    assertTrue(err.get("errorMessage").asText().contains("Task timed out after 1.00 seconds"));
    WorkerClient.Answer b = world.invoke("slow-fn", "{\"seconds\":0}");
    assertEquals(200, b.status(), b.body());
    assertTrue(b.header("x-amz-function-error").isEmpty(), b.body());
    assertEquals(
        2.0, world.metric("blocklift_function_cold_starts_total{function=\"slow-fn\"}"), 0.0);
    assertEquals(1.0, world.metric("blocklift_function_timeouts_total{function=\"slow-fn\"}"), 0.0);
  }

  @Test
  void aCrashIsRuntimeExitErrorAndAnInitFailureIsReportedAsLambdaDoes() throws Exception {
    world.create("crash-fn", FunctionWorld.SHELL, "crash", 128, 10, "");
    WorkerClient.Answer a = world.invoke("crash-fn", "{}");
    assertEquals(200, a.status());
    assertEquals("Unhandled", a.header("x-amz-function-error").orElseThrow());
    JsonNode err = json(a);
    assertEquals("Runtime.ExitError", err.get("errorType").asText());
    assertTrue(err.get("errorMessage").asText().contains("exit status 1"), a.body());

    world.create("initfail-fn", FunctionWorld.SHELL, "initfail", 128, 10, "");
    WorkerClient.Answer i = world.invoke("initfail-fn", "{}", Map.of("X-Amz-Log-Type", "Tail"));
    assertEquals(200, i.status());
    assertEquals("Unhandled", i.header("x-amz-function-error").orElseThrow());
    assertEquals("InitError", json(i).get("errorType").asText(), i.body());
    String log =
        new String(
            Base64.getDecoder().decode(i.header("x-amz-log-result").orElseThrow()),
            StandardCharsets.UTF_8);
    assertTrue(log.contains("init failed on purpose"), log);
  }

  @Test
  void reservedConcurrencyThrottlesWithTooManyRequests() throws Exception {
    world.create(
        "limited-fn", FunctionWorld.SHELL, "sleep", 128, 20, ",\"ReservedConcurrentExecutions\":2");
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<WorkerClient.Answer>> running = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        running.add(pool.submit(() -> world.invoke("limited-fn", "{\"seconds\":3}")));
      }
      String gauge = "blocklift_function_concurrent_executions{function=\"limited-fn\"}";
      world.awaitMetric(gauge, v -> v >= 2, Duration.ofSeconds(20));
      assertEquals(2.0, world.metric(gauge), 0.0);
      WorkerClient.Answer third = world.invoke("limited-fn", "{\"seconds\":0}");
      assertEquals(429, third.status(), third.body());
      assertEquals("TooManyRequestsException", third.header("x-amzn-errortype").orElseThrow());
      assertEquals(
          "ReservedFunctionConcurrentInvocationLimitExceeded", json(third).get("Reason").asText());
      for (Future<WorkerClient.Answer> f : running) {
        WorkerClient.Answer r = f.get();
        assertEquals(200, r.status(), r.body());
        assertTrue(r.header("x-amz-function-error").isEmpty(), r.body());
      }
    }
    assertEquals(
        1.0, world.metric("blocklift_function_throttles_total{function=\"limited-fn\"}"), 0.0);
  }

  @Test
  void anUpdateWhileAnInvokeRunsDrainsTheOldSandbox() throws Exception {
    world.create(
        "upd-fn",
        FunctionWorld.SHELL,
        "sleep",
        128,
        20,
        ",\"Environment\":{\"Variables\":{\"STAGE\":\"one\"}}");
    WorkerClient.Answer warmup = world.invoke("upd-fn", "{\"seconds\":0}");
    assertEquals(200, warmup.status(), warmup.body());
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<WorkerClient.Answer> running =
          pool.submit(() -> world.invoke("upd-fn", "{\"seconds\":2}"));
      String gauge = "blocklift_function_concurrent_executions{function=\"upd-fn\"}";
      world.awaitMetric(gauge, v -> v >= 1, Duration.ofSeconds(20));
      WorkerClient.Answer code =
          world.send(
              "PUT",
              "/2015-03-31/functions/upd-fn/code",
              "{\"ImageUri\":\"" + FunctionWorld.SHELL_2 + "\"}",
              Map.of());
      assertEquals(200, code.status(), code.body());
      WorkerClient.Answer upd =
          world.send(
              "PUT",
              "/2015-03-31/functions/upd-fn/configuration",
              "{\"ImageConfig\":{\"Command\":[\"env\"]}}",
              Map.of());
      assertEquals(200, upd.status(), upd.body());
      assertEquals("3", json(upd).get("RevisionId").asText());
      assertEquals(
          FunctionWorld.SHELL_2,
          json(world.client.get("/2015-03-31/functions/upd-fn"))
              .get("Code")
              .get("ImageUri")
              .asText());
      WorkerClient.Answer after = world.invoke("upd-fn", "{}");
      assertEquals(200, after.status(), after.body());
      // The new revision's handler, in a new sandbox.
      assertEquals("env", json(after).get("handler").asText(), after.body());
      assertEquals(1, json(after).get("invocations").asInt());
      WorkerClient.Answer old = running.get();
      assertEquals(200, old.status(), old.body());
      assertTrue(old.header("x-amz-function-error").isEmpty(), old.body());
    }
  }

  @Test
  void functionsAreListedFetchedDeletedAndSurviveARestart() throws Exception {
    world.create("keep-fn", FunctionWorld.SHELL, "echo", 256, 7, "");
    JsonNode list = json(world.client.get("/2015-03-31/functions"));
    boolean found = false;
    for (JsonNode f : list.get("Functions")) {
      found |= f.get("FunctionName").asText().equals("keep-fn");
    }
    assertTrue(found, list.toString());
    JsonNode got = json(world.client.get("/2015-03-31/functions/keep-fn"));
    assertEquals(256, got.get("Configuration").get("MemorySize").asInt());
    assertEquals(7, got.get("Configuration").get("Timeout").asInt());
    assertEquals("fn/shell:1", got.get("Code").get("ImageUri").asText());
    assertEquals(
        "arn:aws:lambda:us-east-1:000000000000:function:keep-fn",
        got.get("Configuration").get("FunctionArn").asText());

    // A second registry over the same directory sees it (what a restarted worker reads).
    FunctionRegistry again =
        FunctionRegistry.open(world.home.resolve("functions"), java.time.Clock.systemUTC());
    assertEquals(7, again.get(FunctionName.of("keep-fn")).orElseThrow().timeoutSeconds());
    assertEquals(
        "rw-------",
        java.nio.file.attribute.PosixFilePermissions.toString(
            java.nio.file.Files.getPosixFilePermissions(
                world.home.resolve("functions").resolve("keep-fn.json"))));

    WorkerClient.Answer del = world.send("DELETE", "/2015-03-31/functions/keep-fn", "", Map.of());
    assertEquals(204, del.status(), del.body());
    assertEquals(404, world.invoke("keep-fn", "{}").status());
    assertFalse(
        java.nio.file.Files.exists(world.home.resolve("functions").resolve("keep-fn.json")));
    assertNotEquals(0, world.metrics().length());
  }
}
