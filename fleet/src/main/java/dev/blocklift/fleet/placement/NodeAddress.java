package dev.blocklift.fleet.placement;

import java.net.URI;

/** A cache node as written in the membership file: {@code host:port}. */
public record NodeAddress(String host, int port) implements Comparable<NodeAddress> {
  public NodeAddress {
    if (host == null || host.isBlank() || !host.matches("[A-Za-z0-9.\\-\\[\\]:]+")) {
      throw new IllegalArgumentException("bad cache node host \"" + host + "\"");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("cache node port must be 1..65535, got " + port);
    }
  }

  /** Parses {@code host:port} (IPv6 as {@code [::1]:port}). */
  public static NodeAddress parse(String text) {
    String t = text.strip();
    int colon = t.lastIndexOf(':');
    if (colon <= 0 || colon == t.length() - 1) {
      throw new IllegalArgumentException(
          "cache node must be written host:port, got \""
              + dev.blocklift.core.Hex.abbreviate(t)
              + "\"");
    }
    try {
      return new NodeAddress(t.substring(0, colon), Integer.parseInt(t.substring(colon + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "cache node port is not a number in \"" + dev.blocklift.core.Hex.abbreviate(t) + "\"", e);
    }
  }

  public URI baseUri() {
    return URI.create("http://" + host + ":" + port);
  }

  @Override
  public int compareTo(NodeAddress o) {
    return toString().compareTo(o.toString());
  }

  @Override
  public String toString() {
    return host + ":" + port;
  }
}
