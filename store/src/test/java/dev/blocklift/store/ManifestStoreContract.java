package dev.blocklift.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ImageName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The contract every {@link ManifestStore} keeps; implementations' tests extend it. */
public abstract class ManifestStoreContract {
  protected abstract ManifestStore newStore() throws Exception;

  protected ManifestStore store;

  @BeforeEach
  void openStore() throws Exception {
    store = newStore();
  }

  @AfterEach
  void closeStore() throws Exception {
    if (store != null) {
      store.close();
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void publishThenGet() throws IOException {
    ImageName n = ImageName.parse("team/app:v1");
    store.publish(n, bytes("one"));
    assertArrayEquals(bytes("one"), store.get(n).orElseThrow());
  }

  @Test
  void missingIsEmpty() throws IOException {
    assertTrue(store.get(ImageName.parse("nobody:here")).isEmpty());
    assertFalse(store.delete(ImageName.parse("nobody:here")));
  }

  @Test
  void republishingReplaces() throws IOException {
    ImageName n = ImageName.parse("app");
    store.publish(n, bytes("old"));
    store.publish(n, bytes("new"));
    assertArrayEquals(bytes("new"), store.get(n).orElseThrow());
    assertEquals(List.of(n), store.list());
  }

  @Test
  void listIsSortedAndKeepsNestedRepositoriesApart() throws IOException {
    List<ImageName> names =
        List.of(
            ImageName.parse("team:app"),
            ImageName.parse("team/app:latest"),
            ImageName.parse("team/app:v2"),
            ImageName.parse("team/app/worker:1.0"),
            ImageName.parse("alpine:3.20"));
    for (ImageName n : names) {
      store.publish(n, bytes(n.toString()));
    }
    List<ImageName> sorted = new ArrayList<>(names);
    sorted.sort(null);
    assertEquals(sorted, store.list());
    for (ImageName n : names) {
      assertArrayEquals(bytes(n.toString()), store.get(n).orElseThrow(), n.toString());
    }
  }

  @Test
  void deleteRemoves() throws IOException {
    ImageName n = ImageName.parse("gone:1");
    store.publish(n, bytes("x"));
    assertTrue(store.delete(n));
    assertTrue(store.get(n).isEmpty());
    assertEquals(List.of(), store.list());
  }

  @Test
  void readersNeverSeeATornManifest() throws Exception {
    ImageName n = ImageName.parse("race:1");
    SplittableRandom random = new SplittableRandom(42);
    byte[] a = new byte[200_000];
    byte[] b = new byte[150_000];
    Arrays.fill(a, (byte) 'a');
    Arrays.fill(b, (byte) 'b');
    store.publish(n, a);
    AtomicBoolean stop = new AtomicBoolean();
    try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<?> writer =
          ex.submit(
              () -> {
                for (int i = 0; i < 20; i++) {
                  store.publish(n, random.nextBoolean() ? a : b);
                }
                stop.set(true);
                return null;
              });
      Future<Integer> reader =
          ex.submit(
              () -> {
                int reads = 0;
                while (!stop.get()) {
                  byte[] got = store.get(n).orElseThrow();
                  assertTrue(
                      Arrays.equals(got, a) || Arrays.equals(got, b),
                      "a reader saw a torn manifest of " + got.length + " bytes");
                  reads++;
                }
                return reads;
              });
      writer.get();
      assertTrue(reader.get() >= 0);
    }
  }
}
