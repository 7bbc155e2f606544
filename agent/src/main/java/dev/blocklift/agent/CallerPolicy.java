package dev.blocklift.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Who may call the worker over its unix socket: root, or a member of the worker's group ({@value
 * #DEFAULT_GROUP} by default). Membership is the caller's primary group (the peer credentials' gid)
 * or a listing in the group file; both are read from the system's {@code /etc/passwd} and {@code
 * /etc/group} (paths injectable for tests), so no name service beyond the files is needed.
 */
final class CallerPolicy {
  static final String DEFAULT_GROUP = "blocklift";

  /** The caller as the kernel reported it (names, as {@code SO_PEERCRED} gives them). */
  record Caller(String user, String group) {
    boolean isRoot() {
      return user.equals("root");
    }

    @Override
    public String toString() {
      return user + ":" + group;
    }
  }

  private final String groupName;
  private final Path groupFile;

  CallerPolicy(String groupName, Path groupFile) {
    if (groupName.isBlank() || groupName.contains(":") || groupName.contains("\n")) {
      throw new IllegalArgumentException("not a group name: \"" + groupName + "\"");
    }
    this.groupName = groupName;
    this.groupFile = groupFile;
  }

  static CallerPolicy system() {
    return new CallerPolicy(DEFAULT_GROUP, Path.of("/etc/group"));
  }

  String groupName() {
    return groupName;
  }

  /** The members line of the group, if the group exists. */
  Optional<List<String>> members() throws IOException {
    if (!Files.isReadable(groupFile)) {
      return Optional.empty();
    }
    for (String line : Files.readAllLines(groupFile, StandardCharsets.UTF_8)) {
      String[] f = line.split(":", -1);
      if (f.length >= 4 && f[0].equals(groupName)) {
        return Optional.of(f[3].isEmpty() ? List.of() : List.of(f[3].split(",")));
      }
    }
    return Optional.empty();
  }

  /** Empty if {@code caller} may use the API, else the one-line reason it may not. */
  Optional<String> refusal(Caller caller) throws IOException {
    if (caller.isRoot()) {
      return Optional.empty();
    }
    Optional<List<String>> members = members();
    if (members.isPresent()
        && (caller.group().equals(groupName) || members.get().contains(caller.user()))) {
      return Optional.empty();
    }
    return Optional.of(
        "caller "
            + caller
            + " is neither root nor a member of group \""
            + groupName
            + "\""
            + (members.isEmpty() ? " (the group does not exist: groupadd " + groupName + ")" : ""));
  }
}
