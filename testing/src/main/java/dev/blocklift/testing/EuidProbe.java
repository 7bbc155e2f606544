package dev.blocklift.testing;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A program that tells whether a setuid bit took effect: its exit status is its effective uid (mod
 * 256), so 0 means a setuid-root copy elevated and 254 (65534 mod 256) that it did not. (busybox
 * drops a setuid root by itself for applets such as {@code id}, so it cannot tell.)
 */
public final class EuidProbe {
  private EuidProbe() {}

  /**
   * A static ELF64 x86-64 executable: {@code exit(geteuid())}. One PT_LOAD segment mapping the
   * whole file at 0x400000; the code follows the headers at offset 120.
   */
  public static byte[] program() {
    byte[] code = {
      (byte) 0xb8,
      0x6b,
      0,
      0,
      0, // mov eax, 107 (geteuid)
      0x0f,
      0x05, // syscall
      (byte) 0x89,
      (byte) 0xc7, // mov edi, eax
      (byte) 0xb8,
      0x3c,
      0,
      0,
      0, // mov eax, 60 (exit)
      0x0f,
      0x05 // syscall
    };
    long base = 0x400000;
    int headers = 64 + 56;
    ByteBuffer b = ByteBuffer.allocate(headers + code.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0}).put(new byte[8]);
    b.putShort((short) 2).putShort((short) 0x3e).putInt(1); // ET_EXEC, x86-64, version
    b.putLong(base + headers).putLong(64).putLong(0); // entry, phoff, shoff
    b.putInt(0).putShort((short) 64).putShort((short) 56).putShort((short) 1); // flags, sizes
    b.putShort((short) 64).putShort((short) 0).putShort((short) 0); // shentsize, shnum, shstrndx
    b.putInt(1).putInt(5).putLong(0).putLong(base).putLong(base); // PT_LOAD, R+X, offset, addrs
    b.putLong(headers + code.length).putLong(headers + code.length).putLong(0x1000);
    b.put(code);
    return b.array();
  }
}
