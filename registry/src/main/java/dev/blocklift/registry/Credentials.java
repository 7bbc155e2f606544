package dev.blocklift.registry;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A registry user name and password (or token used as a password). The password never appears in
 * {@link #toString()}, so credentials can sit in records and messages without leaking.
 */
public record Credentials(String username, String password) {
  public Credentials {
    if (username == null || username.isEmpty()) {
      throw new IllegalArgumentException("registry credentials need a user name");
    }
    if (password == null) {
      throw new IllegalArgumentException(
          "registry credentials for " + username + " need a password");
    }
  }

  /** Parses skopeo's {@code USER:PASS}; the message never echoes the password. */
  public static Credentials parse(String userColonPassword) {
    int colon = userColonPassword.indexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException(
          "--creds must look like USER:PASSWORD (value not shown, it may hold a secret)");
    }
    return new Credentials(
        userColonPassword.substring(0, colon), userColonPassword.substring(colon + 1));
  }

  /** The value of an {@code Authorization: Basic} header. */
  String basicHeader() {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    return "Credentials[username=" + username + ", password=<redacted>]";
  }
}
