package dev.blocklift.core;

import java.io.EOFException;

/** Text for a failure that is going into another message: never {@code "null"}, never empty. */
public final class Failures {
  private Failures() {}

  /**
   * The exception's message, or, when it has none (a bare {@link EOFException} from a decompressor,
   * say), what its type says happened and the description of its cause, with the type's name in
   * parentheses.
   */
  public static String describe(Throwable e) {
    if (e == null) {
      return "unknown failure";
    }
    String m = e.getMessage();
    if (m != null && !m.isBlank()) {
      return m;
    }
    String what =
        switch (e) {
          case EOFException eof -> "unexpected end of the stream";
          case InterruptedException ie -> "interrupted";
          default -> "failed without a message";
        };
    Throwable cause = e.getCause();
    if (cause != null && cause != e) {
      what += ": " + describe(cause);
    }
    return what + " (" + e.getClass().getSimpleName() + ")";
  }
}
