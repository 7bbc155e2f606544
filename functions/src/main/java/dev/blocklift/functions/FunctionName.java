package dev.blocklift.functions;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A function's name as Lambda spells it: 1 to 64 of letters, digits, hyphens and underscores.
 * Invokes may name a function by its name or by its ARN ({@code
 * arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]}); {@link #fromReference} accepts both.
 */
public record FunctionName(String value) implements Comparable<FunctionName> {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern ARN =
      Pattern.compile(
          "arn:aws[a-z-]*:lambda:[a-z0-9-]*:[0-9]{0,12}:function:([A-Za-z0-9_-]{1,64})"
              + "(?::([A-Za-z0-9$_-]{1,128}))?");

  public FunctionName {
    if (value == null || !NAME.matcher(value).matches()) {
      throw new IllegalArgumentException(
          "a function name is 1-64 letters, digits, '-' or '_', got \"" + value + "\"");
    }
  }

  public static FunctionName of(String value) {
    return new FunctionName(value);
  }

  /** A name, {@code NAME:QUALIFIER}, or an ARN; the qualifier (if any) is returned separately. */
  public static Reference fromReference(String text) {
    Matcher m = ARN.matcher(text);
    if (m.matches()) {
      return new Reference(new FunctionName(m.group(1)), Optional.ofNullable(m.group(2)));
    }
    int colon = text.indexOf(':');
    if (colon > 0) {
      return new Reference(
          new FunctionName(text.substring(0, colon)), Optional.of(text.substring(colon + 1)));
    }
    return new Reference(new FunctionName(text), Optional.empty());
  }

  /** A function named in a request, with the version or alias it asked for. */
  public record Reference(FunctionName name, Optional<String> qualifier) {}

  @Override
  public int compareTo(FunctionName o) {
    return value.compareTo(o.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
