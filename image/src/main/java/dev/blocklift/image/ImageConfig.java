package dev.blocklift.image;

import com.fasterxml.jackson.databind.JsonNode;
import dev.blocklift.core.CorruptDataException;
import java.io.IOException;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The parts of an image config ({@code application/vnd.oci.image.config.v1+json}, or docker's
 * equivalent) that blocklift uses. Absent fields are empty lists, empty strings or 0.
 *
 * @param createdSeconds the config's {@code created} as epoch seconds (0 when absent)
 */
public record ImageConfig(
    List<String> entrypoint,
    List<String> cmd,
    List<String> env,
    String workingDir,
    String user,
    long createdSeconds,
    String architecture,
    String os,
    Optional<String> variant,
    SortedMap<String, String> labels) {

  public ImageConfig {
    entrypoint = List.copyOf(entrypoint);
    cmd = List.copyOf(cmd);
    env = List.copyOf(env);
    labels = Collections.unmodifiableSortedMap(new TreeMap<>(labels));
  }

  /** Parses config JSON; a malformed config is a {@link CorruptDataException} naming the field. */
  public static ImageConfig parse(byte[] json) {
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(json);
    } catch (IOException e) {
      throw new CorruptDataException(
          "image config is not valid JSON: " + dev.blocklift.core.Failures.describe(e), e);
    }
    if (root == null || !root.isObject()) {
      throw new CorruptDataException("image config is not a JSON object");
    }
    JsonNode c = root.path("config");
    return new ImageConfig(
        strings(c, "Entrypoint"),
        strings(c, "Cmd"),
        strings(c, "Env"),
        text(c, "WorkingDir"),
        text(c, "User"),
        created(root.path("created")),
        text(root, "architecture"),
        text(root, "os"),
        Optional.ofNullable(root.path("variant").textValue()),
        labels(c.path("Labels")));
  }

  private static List<String> strings(JsonNode parent, String field) {
    JsonNode n = parent.path(field);
    if (n.isMissingNode() || n.isNull()) {
      return List.of();
    }
    if (!n.isArray()) {
      throw new CorruptDataException("image config field " + field + " is not an array: " + n);
    }
    List<String> out = new ArrayList<>();
    for (JsonNode e : n) {
      if (!e.isTextual()) {
        throw new CorruptDataException("image config field " + field + " has a non-string " + e);
      }
      out.add(e.textValue());
    }
    return out;
  }

  private static String text(JsonNode parent, String field) {
    JsonNode n = parent.path(field);
    return n.isTextual() ? n.textValue() : "";
  }

  private static long created(JsonNode n) {
    if (!n.isTextual() || n.textValue().isEmpty()) {
      return 0;
    }
    try {
      return OffsetDateTime.parse(n.textValue()).toEpochSecond();
    } catch (DateTimeParseException e) {
      throw new CorruptDataException(
          "image config field created is not an RFC 3339 time: \"" + n.textValue() + "\"", e);
    }
  }

  private static SortedMap<String, String> labels(JsonNode n) {
    SortedMap<String, String> out = new TreeMap<>();
    if (n.isObject()) {
      for (var e : n.properties()) {
        out.put(e.getKey(), e.getValue().isTextual() ? e.getValue().textValue() : "");
      }
    }
    return out;
  }
}
