package dev.blocklift.flatten;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** debugfs (which reads the image without the kernel) sees owners, modes, times, devices, data. */
class DebugfsTest {
  @TempDir Path dir;

  @Test
  void debugfsShowsWhatWasWritten() throws Exception {
    Fixtures.Image img = Fixtures.allTypes();
    Path out = dir.resolve("d.ext4");
    new Flattener()
        .flatten(img.tree(), img.content(), out, FlattenOptions.defaults(), FlattenListener.NONE);

    String tool = Ext4Tools.debugfs(out, "stat /bin/tool");
    assertContains(tool, "Mode:  04755");
    assertContains(tool, "Links: 3");
    assertContains(tool, "Size: 3145728");
    // nanoseconds 123456789 << 2 = 0x1d6f3454 in the extra field; seconds 1700000000 = 0x6553f100
    assertContains(tool, "mtime: 0x6553f100:1d6f3454");
    assertContains(tool, "security.capability");

    String owned = Ext4Tools.debugfs(out, "stat /etc/owned");
    // debugfs prints the 32-bit gid with a signed format: 4000000000 shows as -294967296
    assertTrue(
        owned.matches("(?s).*User:\\s+100000\\s+Group:\\s+(4000000000|-294967296)\\s.*"), owned);

    String future = Ext4Tools.debugfs(out, "stat /etc/future");
    assertContains(future, "2103"); // beyond 2038 through the epoch bits

    assertContains(Ext4Tools.debugfs(out, "stat /dev/null"), "Device major/minor number: 01:03");
    assertContains(
        Ext4Tools.debugfs(out, "stat /dev/big"),
        "(New-style) Device major/minor number: 259:70000");
    String dev = Ext4Tools.debugfs(out, "ls -l /dev");
    assertContains(dev, "20666"); // character device, mode 0666
    assertContains(dev, "60660"); // block device, mode 0660
    assertContains(Ext4Tools.debugfs(out, "stat /short-link"), "Fast link dest: \"etc/hostname\"");

    Path dumped = dir.resolve("hostname");
    Ext4Tools.debugfs(out, "dump /etc/hostname " + dumped);
    assertEquals("blocklift", Files.readString(dumped));
    String stats = Ext4Tools.debugfs(out, "stats");
    assertContains(stats, "metadata_csum");
    assertContains(stats, "Filesystem created:");
  }

  private static void assertContains(String text, String part) {
    assertTrue(text.contains(part), "expected \"" + part + "\" in:\n" + text);
  }
}
