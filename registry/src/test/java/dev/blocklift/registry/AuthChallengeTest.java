package dev.blocklift.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuthChallengeTest {
  @Test
  void parsesBearerWithQuotedCommasAndEscapes() {
    AuthChallenge c =
        AuthChallenge.parse(
            "Bearer realm=\"https://auth.example.io/token\",service=\"registry.example.io\","
                + "scope=\"repository:a/b:pull,push\", error=\"in\\\"valid\"");
    assertEquals("bearer", c.scheme());
    assertEquals(
        Map.of(
            "realm", "https://auth.example.io/token",
            "service", "registry.example.io",
            "scope", "repository:a/b:pull,push",
            "error", "in\"valid"),
        c.params());
  }

  @Test
  void parsesBasicAndUnquotedValues() {
    AuthChallenge c = AuthChallenge.parse("basic Realm=registry, charset=UTF-8");
    assertEquals("basic", c.scheme());
    assertEquals(Map.of("realm", "registry", "charset", "UTF-8"), c.params());
    assertNull(AuthChallenge.parse("  "));
  }

  @Test
  void choosePrefersBearerOverBasic() {
    assertEquals(
        "bearer",
        AuthChallenge.choose(List.of("Basic realm=\"x\"", "Bearer realm=\"https://t\""))
            .orElseThrow()
            .scheme());
    assertTrue(AuthChallenge.choose(List.of("Negotiate")).isEmpty());
  }
}
