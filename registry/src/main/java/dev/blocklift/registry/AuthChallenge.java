package dev.blocklift.registry;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One {@code WWW-Authenticate} challenge, e.g. {@code Bearer
 * realm="https://auth.example/token",service="registry",scope="repository:a/b:pull"}.
 *
 * @param scheme lower-cased auth scheme ({@code basic}, {@code bearer})
 * @param params parameters with lower-cased names and unquoted values
 */
record AuthChallenge(String scheme, Map<String, String> params) {
  AuthChallenge {
    params = Map.copyOf(params);
  }

  Optional<String> param(String name) {
    return Optional.ofNullable(params.get(name));
  }

  /** The first Bearer challenge among the headers, else the first Basic one, else empty. */
  static Optional<AuthChallenge> choose(List<String> headerValues) {
    AuthChallenge basic = null;
    for (String v : headerValues) {
      AuthChallenge c = parse(v);
      if (c == null) {
        continue;
      }
      if (c.scheme.equals("bearer")) {
        return Optional.of(c);
      }
      if (c.scheme.equals("basic") && basic == null) {
        basic = c;
      }
    }
    return Optional.ofNullable(basic);
  }

  /** Parses one header value; returns null when it is not {@code scheme [params]}. */
  static AuthChallenge parse(String header) {
    String s = header.strip();
    int i = 0;
    while (i < s.length() && isToken(s.charAt(i))) {
      i++;
    }
    if (i == 0) {
      return null;
    }
    String scheme = s.substring(0, i).toLowerCase(Locale.ROOT);
    Map<String, String> params = new LinkedHashMap<>();
    int n = s.length();
    while (i < n) {
      while (i < n && (s.charAt(i) == ' ' || s.charAt(i) == ',' || s.charAt(i) == '\t')) {
        i++;
      }
      int nameStart = i;
      while (i < n && isToken(s.charAt(i))) {
        i++;
      }
      if (i == nameStart) {
        break;
      }
      String name = s.substring(nameStart, i).toLowerCase(Locale.ROOT);
      while (i < n && s.charAt(i) == ' ') {
        i++;
      }
      if (i >= n || s.charAt(i) != '=') {
        break; // a token68 or garbage: keep what was parsed
      }
      i++;
      while (i < n && s.charAt(i) == ' ') {
        i++;
      }
      StringBuilder value = new StringBuilder();
      if (i < n && s.charAt(i) == '"') {
        i++;
        while (i < n && s.charAt(i) != '"') {
          if (s.charAt(i) == '\\' && i + 1 < n) {
            i++;
          }
          value.append(s.charAt(i++));
        }
        i++; // closing quote
      } else {
        while (i < n && s.charAt(i) != ',') {
          value.append(s.charAt(i++));
        }
      }
      params.putIfAbsent(name, value.toString().strip());
    }
    return new AuthChallenge(scheme, params);
  }

  private static boolean isToken(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
  }
}
