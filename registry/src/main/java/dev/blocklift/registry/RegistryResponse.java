package dev.blocklift.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;

/**
 * A response whose body has not been read yet: status, headers, the streaming body and the URI it
 * finally came from (after redirects). Closing it releases the connection.
 */
record RegistryResponse(int status, HttpHeaders headers, InputStream body, URI uri)
    implements AutoCloseable {

  boolean ok() {
    return status >= 200 && status < 300;
  }

  @Override
  public void close() {
    try {
      body.close();
    } catch (IOException e) {
      // Releasing a connection that already failed: nothing to do.
    }
  }

  /**
   * A short summary of an error body for messages: the distribution API's {@code errors[].code} and
   * {@code message}, else the status only. Reads at most 16 KiB.
   */
  String errorSummary() {
    byte[] bytes;
    try (InputStream in = body) {
      bytes = in.readNBytes(16 * 1024);
    } catch (IOException | RuntimeException e) {
      return "HTTP " + status;
    }
    try {
      JsonNode errors = new ObjectMapper().readTree(bytes).path("errors");
      if (errors.isArray() && !errors.isEmpty()) {
        JsonNode first = errors.get(0);
        String code = first.path("code").asText("");
        String message = first.path("message").asText("");
        return "HTTP " + status + " " + code + (message.isEmpty() ? "" : ": " + message);
      }
    } catch (IOException | RuntimeException e) {
      // Not JSON: fall through to the plain form.
    }
    String text = new String(bytes, StandardCharsets.UTF_8).strip();
    if (text.length() > 200) {
      text = text.substring(0, 200) + "...";
    }
    return "HTTP " + status + (text.isEmpty() || text.startsWith("<") ? "" : " " + text);
  }
}
