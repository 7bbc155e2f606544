package dev.blocklift.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blocklift.chunk.SaltRoots;
import dev.blocklift.chunk.ServiceSecret;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.chunk.keys.LocalKeyring;
import dev.blocklift.convert.ConvertListener;
import dev.blocklift.convert.ConvertOptions;
import dev.blocklift.convert.Converter;
import dev.blocklift.core.Digest;
import dev.blocklift.core.ImageName;
import dev.blocklift.store.Store;
import dev.blocklift.store.Stores;
import dev.blocklift.testing.FunctionImages;
import dev.blocklift.testing.Poll;
import dev.blocklift.testing.Processes;
import dev.blocklift.testing.Requirements;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code blocklift functions} against a real {@code blocklift worker} process: create, invoke,
 * list, get, update and delete as a user types them; the function survives a kill -9 of the worker,
 * whose idle sandbox the next worker reaps, and the next invoke starts cleanly.
 */
class FunctionsProcessTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;
  private Process worker;
  private Path home;
  private Path socket;
  private Path state;

  private record Out(int code, String out, String err) {}

  private Out cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = BlockliftCommand.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    List<String> all = new ArrayList<>(List.of(args));
    all.add(2, "--worker");
    all.add(3, socket.toString());
    int code = cl.execute(all.toArray(String[]::new));
    return new Out(code, out.toString(), err.toString());
  }

  private Process startWorker(Path log) throws Exception {
    Process p =
        WorkerProcessTest.launchWorker(
            log,
            home,
            socket,
            state,
            tmp,
            "--memory-cache",
            "64MiB",
            "--plaintext-cache",
            "16MiB",
            "--function-scratch",
            "64MiB");
    if (!WorkerProcessTest.awaitServing(p, log)) {
      throw new AssertionError("the worker did not start: " + Files.readString(log));
    }
    return p;
  }

  @AfterEach
  void tearDown() throws Exception {
    if (worker != null && worker.isAlive()) {
      worker.destroy();
      worker.waitFor(60, TimeUnit.SECONDS);
    }
  }

  @Test
  void createInvokeUpdateAndSurviveAWorkerKill() throws Exception {
    Requirements.root();
    Requirements.fuse();
    Requirements.loopDevices();
    Requirements.commands("runc", "mkfs.ext4", "curl");
    home = tmp.resolve("home");
    socket = tmp.resolve("w.sock");
    state = tmp.resolve("state");
    FunctionImages.Image img =
        FunctionImages.shellRuntime(Files.createDirectories(tmp.resolve("img")));
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
              img.ext4(),
              Digest.sha256(img.config()),
              img.config(),
              ConvertOptions.of(ImageName.parse("fn/shell:1"), TenantId.DEFAULT),
              ConvertListener.NONE);
    }
    worker = startWorker(tmp.resolve("worker-1.log"));

    Out created =
        cli(
            "functions",
            "create",
            "hello",
            "--image",
            "fn/shell:1",
            "--handler",
            "env",
            "--memory",
            "256MiB",
            "--timeout",
            "10s",
            "--env",
            "GREETING=hi",
            "--json");
    assertEquals(0, created.code(), created.err());
    JsonNode c = JSON.readTree(created.out());
    assertEquals(256, c.get("MemorySize").asInt());
    assertEquals("hi", c.get("Environment").get("Variables").get("GREETING").asText());

    Out invoked = cli("functions", "invoke", "hello", "--payload", "{}");
    assertEquals(0, invoked.code(), invoked.err());
    JsonNode r = JSON.readTree(invoked.out());
    assertEquals("hello", r.get("function_name").asText());
    assertEquals("256", r.get("memory_size").asText());

    Out list = cli("functions", "list");
    assertTrue(list.out().contains("hello  memory 256 MB  timeout 10 s  handler env"), list.out());
    Out bad = cli("functions", "get", "nope");
    assertEquals(1, bad.code());
    assertTrue(
        bad.err().contains("ResourceNotFoundException: Function not found: nope"), bad.err());
    Out badMemory = cli("functions", "update", "hello", "--memory", "64MiB");
    assertEquals(1, badMemory.code());
    assertTrue(
        badMemory
            .err()
            .contains("memory must be 128 MiB to 10240 MiB (Lambda's MemorySize), got 64.0 MiB"),
        badMemory.err());

    // kill -9: the worker leaves its idle sandbox; the next one reaps it and keeps the function.
    dev.blocklift.agent.WorkerClient client =
        new dev.blocklift.agent.WorkerClient(socket, Duration.ofSeconds(30));
    List<String> sandboxes = new ArrayList<>();
    for (JsonNode m : JSON.readTree(client.get("/mounts").body())) {
      sandboxes.add(m.get("run").asText());
    }
    assertEquals(1, sandboxes.size(), "one idle sandbox");
    assertTrue(Processes.run(List.of("runc", "list", "-q")).stdout().contains(sandboxes.get(0)));
    worker.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    worker = startWorker(tmp.resolve("worker-2.log"));
    Poll.until(
        Duration.ofSeconds(30),
        "the dead worker's sandbox reaped",
        () -> {
          try {
            String now = Processes.run(List.of("runc", "list", "-q")).stdout();
            return !now.contains(sandboxes.get(0))
                && client.get("/mounts").body().strip().equals("[]");
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
    Out again = cli("functions", "invoke", "hello", "--payload", "{}", "--log");
    assertEquals(0, again.code(), again.err());
    assertEquals(1, JSON.readTree(again.out()).get("invocations").asInt(), "a fresh sandbox");
    assertTrue(again.err().contains("Init Duration"), again.err());

    Out upd = cli("functions", "update", "hello", "--handler", "error");
    assertEquals(0, upd.code(), upd.err());
    Out failed = cli("functions", "invoke", "hello");
    assertEquals(1, failed.code(), "a function error exits 1");
    assertTrue(failed.out().contains("HandlerError"), failed.out());

    Out deleted = cli("functions", "delete", "hello");
    assertEquals(0, deleted.code(), deleted.err());
    assertFalse(cli("functions", "list").out().contains("hello"));
  }
}
