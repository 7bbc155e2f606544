package dev.blocklift.functions;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Lambda's function error documents ({@code errorType}, {@code errorMessage}). */
final class ErrorDocuments {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ErrorDocuments() {}

  static byte[] of(String type, String message) {
    ObjectNode n = JSON.createObjectNode();
    n.put("errorType", type);
    n.put("errorMessage", message);
    try {
      return JSON.writeValueAsBytes(n);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
