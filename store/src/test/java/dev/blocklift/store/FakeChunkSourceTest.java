package dev.blocklift.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ChunkName;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The test fake keeps the contract when healthy, and its gate and faults do what they say. */
class FakeChunkSourceTest extends ChunkSourceContract {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @Override
  protected ChunkSource newSource(Map<ChunkName, byte[]> chunks) {
    return FakeChunkSource.of(chunks);
  }

  @Test
  void aClosedGateHoldsReadsUntilOpened() throws Exception {
    FakeChunkSource s = new FakeChunkSource();
    byte[] c = {1, 2, 3};
    ChunkName n = s.add(c);
    Gate gate = s.hold();
    try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<Optional<byte[]>>> reads = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        reads.add(ex.submit(() -> s.get(n)));
      }
      gate.awaitHeld(3, WAIT);
      assertEquals(3, s.inFlight());
      reads.forEach(f -> assertFalse(f.isDone()));
      gate.open();
      for (Future<Optional<byte[]>> f : reads) {
        assertArrayEquals(c, f.get().orElseThrow());
      }
    }
    assertEquals(3, s.gets());
    assertEquals(3, s.gets(n));
    assertEquals(3, s.maxInFlight());
    assertEquals(0, s.inFlight());
    assertEquals(3, gate.arrivals());
  }

  @Test
  void anInterruptedHeldReadFailsAndIsCounted() throws Exception {
    FakeChunkSource s = new FakeChunkSource();
    ChunkName n = s.add(new byte[] {4});
    Gate gate = s.hold();
    try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<Optional<byte[]>> read = ex.submit(() -> s.get(n));
      gate.awaitHeld(1, WAIT);
      read.cancel(true);
      gate.awaitInterrupts(1, WAIT);
    }
    assertEquals(0, gate.held());
    assertEquals(1, gate.interrupts());
  }

  @Test
  void anInterruptWhileHeldSurfacesAsInterruptedIo() throws Exception {
    Gate gate = Gate.closed();
    Thread.currentThread().interrupt();
    assertThrows(InterruptedIOException.class, () -> gate.pass("this test"));
    assertTrue(Thread.interrupted(), "the interrupt status is kept");
  }

  @Test
  void faultsFailOrLieUntilHealed() throws Exception {
    FakeChunkSource s = new FakeChunkSource("lying-store");
    byte[] c = {9, 8, 7, 6};
    ChunkName n = s.add(c);
    s.failWith(new IOException("connection refused"));
    IOException e = assertThrows(IOException.class, () -> s.get(n));
    assertEquals("connection refused", e.getMessage());
    s.failWith(null);
    s.corruptReads(true);
    assertFalse(n.matches(s.get(n).orElseThrow()), "one bit flipped");
    s.corruptReads(false);
    assertArrayEquals(c, s.get(n).orElseThrow());
    assertEquals("lying-store", s.describe());
  }

  @Test
  void aBlankDescriptionIsRefused() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new FakeChunkSource(" "));
    assertTrue(e.getMessage().contains("\" \""), e.getMessage());
  }

  @Test
  void waitingForMoreThanArriveFailsInBoundedTime() {
    Gate gate = Gate.closed();
    AssertionError e =
        assertThrows(AssertionError.class, () -> gate.awaitHeld(1, Duration.ofMillis(50)));
    assertTrue(e.getMessage().contains("0 of 1"), e.getMessage());
  }
}
