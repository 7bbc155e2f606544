package dev.blocklift.functions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.agent.WorkerClient;
import dev.blocklift.core.ByteSize;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scale-out and leases on a fresh worker: 20 concurrent cold invokes make 20 sandboxes from one
 * store GET per unique chunk and are then all warm; an idle sandbox goes when its lease ends, and
 * the next cold start finds the image's chunks in the worker's tiers.
 */
class FunctionsScaleTest {
  @TempDir Path tmp;

  @Test
  void twentyConcurrentColdInvokesMakeTwentySandboxesFromOneGetPerChunk() throws Exception {
    FunctionWorld.requirements();
    Path home = tmp.resolve("home");
    FunctionWorld.convertImages(tmp, home, false);
    try (FunctionWorld world = FunctionWorld.start(tmp, home, FunctionWorld.options(home), false)) {
      world.create(
          "wide", FunctionWorld.SHELL, "sleep", 128, 60, ",\"ReservedConcurrentExecutions\":20");
      String cold = "blocklift_function_cold_starts_total{function=\"wide\"}";
      // Each invoke sleeps 8 s: all 20 are in before the first ends, so none can reuse another's.
      List<WorkerClient.Answer> first = concurrently(world, 20, "{\"seconds\":8}");
      Set<String> ids = new HashSet<>();
      for (WorkerClient.Answer a : first) {
        assertEquals(200, a.status(), a.body());
        assertTrue(a.header("x-amz-function-error").isEmpty(), a.body());
        ids.add(a.header("x-amzn-requestid").orElseThrow());
      }
      assertEquals(20, ids.size());
      assertEquals(20.0, world.metric(cold), 0.0);
      long gets = world.worker.storeCounter().gets();
      long distinct = world.worker.storeCounter().distinctChunks();
      assertTrue(distinct > 0);
      assertEquals(distinct, gets, "store GETs per unique chunk must be 1.0");

      List<WorkerClient.Answer> second = concurrently(world, 20, "{\"seconds\":0}");
      for (WorkerClient.Answer a : second) {
        assertEquals(200, a.status(), a.body());
      }
      assertEquals(20.0, world.metric(cold), 0.0, "all warm");
      assertEquals(gets, world.worker.storeCounter().gets(), "warm invokes fetch nothing");
    }
  }

  @Test
  void anIdleSandboxGoesWhenItsLeaseEndsAndTheImageStaysInTheTiers() throws Exception {
    FunctionWorld.requirements();
    Path home = tmp.resolve("home");
    FunctionWorld.convertImages(tmp, home, false);
    Functions.Options d = FunctionWorld.options(home);
    Functions.Options shortLease =
        new Functions.Options(
            d.home(),
            Duration.ofSeconds(1),
            d.maxSandboxes(),
            ByteSize.ofGiB(4),
            d.accountConcurrency(),
            d.initTimeout(),
            d.scratch(),
            d.region(),
            d.account());
    try (FunctionWorld world = FunctionWorld.start(tmp, home, shortLease, false)) {
      world.create("brief", FunctionWorld.SHELL, "echo", 128, 10, "");
      assertEquals(200, world.invoke("brief", "{}").status());
      long gets = world.worker.storeCounter().gets();
      String expired = "blocklift_function_lease_expiries_total{function=\"brief\"}";
      world.awaitMetric(expired, v -> v >= 1, Duration.ofSeconds(30));
      world.awaitMetric("blocklift_sandboxes{state=\"idle\"}", v -> v == 0, Duration.ofSeconds(30));
      // The sandbox's container and mounts are gone (the worker's runs are its sandboxes here).
      world.awaitNoMounts(Duration.ofSeconds(30));
      assertEquals("[]", world.client.get("/mounts").body().strip());
      assertEquals(200, world.invoke("brief", "{}").status());
      assertEquals(
          2.0, world.metric("blocklift_function_cold_starts_total{function=\"brief\"}"), 0.0);
      assertEquals(gets, world.worker.storeCounter().gets(), "the second cold start hit the tiers");
    }
  }

  @Test
  void aRuntimeThatNeverAsksForAnEventFailsInitWithinTheInitTimeout() throws Exception {
    FunctionWorld.requirements();
    Path home = tmp.resolve("home");
    FunctionWorld.convertImages(tmp, home, false);
    Functions.Options d = FunctionWorld.options(home);
    Functions.Options quickInit =
        new Functions.Options(
            d.home(),
            d.idle(),
            d.maxSandboxes(),
            d.sandboxMemory(),
            d.accountConcurrency(),
            Duration.ofSeconds(2),
            d.scratch(),
            d.region(),
            d.account());
    try (FunctionWorld world = FunctionWorld.start(tmp, home, quickInit, false)) {
      world.create("silent", FunctionWorld.SHELL, "nonext", 128, 10, "");
      long t0 = System.nanoTime();
      WorkerClient.Answer a = world.invoke("silent", "{}");
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      assertEquals(200, a.status(), a.body());
      assertEquals("Unhandled", a.header("x-amz-function-error").orElseThrow());
      assertEquals(
          "Runtime.InitTimeout",
          FunctionWorld.JSON.readTree(a.body()).get("errorType").asText(),
          a.body());
      assertTrue(took.compareTo(Duration.ofSeconds(30)) < 0, "bounded: " + took);
      // The stuck sandbox is torn down, not left holding room.
      world.awaitNoMounts(Duration.ofSeconds(30));
    }
  }

  private static List<WorkerClient.Answer> concurrently(FunctionWorld world, int n, String payload)
      throws Exception {
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<WorkerClient.Answer>> fs = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        fs.add(pool.submit(() -> world.invoke("wide", payload)));
      }
      List<WorkerClient.Answer> out = new ArrayList<>();
      for (Future<WorkerClient.Answer> f : fs) {
        out.add(f.get());
      }
      return out;
    }
  }
}
