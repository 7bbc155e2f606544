package dev.blocklift.functions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.blocklift.testing.FunctionImages;
import dev.blocklift.testing.Processes;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.CreateFunctionRequest;
import software.amazon.awssdk.services.lambda.model.FunctionCode;
import software.amazon.awssdk.services.lambda.model.GetFunctionResponse;
import software.amazon.awssdk.services.lambda.model.ImageConfig;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.lambda.model.LambdaException;
import software.amazon.awssdk.services.lambda.model.LogType;
import software.amazon.awssdk.services.lambda.model.PackageType;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;

/**
 * Real Lambda clients over the worker's TCP invoke listener: the AWS SDK for Java v2 {@code
 * LambdaClient} (SigV4 with the worker's token as the secret key) creates and invokes a Java
 * function built on AWS's runtime interface client, and the AWS CLI invokes it too.
 */
class FunctionsSdkTest {
  @TempDir static Path tmp;
  private static FunctionWorld world;
  private static LambdaClient lambda;
  private static URI endpoint;

  @BeforeAll
  static void start() throws Exception {
    FunctionWorld.requirements();
    Path home = tmp.resolve("home");
    FunctionWorld.convertImages(tmp, home, true);
    world = FunctionWorld.start(tmp, home, FunctionWorld.options(home), true);
    endpoint = URI.create("http://127.0.0.1:" + world.daemon.invokePort().orElseThrow());
    lambda = client(FunctionWorld.TOKEN);
  }

  private static LambdaClient client(String secret) {
    return LambdaClient.builder()
        .endpointOverride(endpoint)
        .region(Region.US_EAST_1)
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create("blocklift", secret)))
        .httpClient(UrlConnectionHttpClient.builder().socketTimeout(Duration.ofMinutes(2)).build())
        .build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (lambda != null) {
      lambda.close();
    }
    if (world != null) {
      world.close();
    }
  }

  @Test
  void theSdkCreatesAndInvokesAJavaFunctionOnTheRuntimeInterfaceClient() throws Exception {
    lambda.createFunction(
        CreateFunctionRequest.builder()
            .functionName("java-echo")
            .packageType(PackageType.IMAGE)
            .code(FunctionCode.builder().imageUri(FunctionWorld.JAVA).build())
            .memorySize(512)
            .timeout(30)
            .imageConfig(ImageConfig.builder().command(FunctionImages.JAVA_ECHO_HANDLER).build())
            .role("arn:aws:iam::000000000000:role/ignored")
            .build());
    InvokeResponse cold =
        lambda.invoke(
            r ->
                r.functionName("java-echo")
                    .payload(SdkBytes.fromUtf8String("{\"greeting\":\"hi\"}"))
                    .logType(LogType.TAIL));
    assertEquals(200, cold.statusCode());
    assertNull(cold.functionError(), cold.payload().asUtf8String());
    assertEquals("$LATEST", cold.executedVersion());
    JsonNode echoed = FunctionWorld.JSON.readTree(cold.payload().asUtf8String());
    assertEquals("hi", echoed.get("greeting").asText(), cold.payload().asUtf8String());
    String log = new String(Base64.getDecoder().decode(cold.logResult()), StandardCharsets.UTF_8);
    assertTrue(log.contains("Init Duration: "), log);

    InvokeResponse warm =
        lambda.invoke(
            r ->
                r.functionName("java-echo")
                    .payload(SdkBytes.fromUtf8String("{\"greeting\":\"again\"}")));
    assertEquals(
        "again",
        FunctionWorld.JSON.readTree(warm.payload().asUtf8String()).get("greeting").asText());
    assertEquals(
        1.0, world.metric("blocklift_function_cold_starts_total{function=\"java-echo\"}"), 0.0);

    // A handler that throws: Lambda's function error, with the Java exception as the document.
    lambda.updateFunctionConfiguration(
        r ->
            r.functionName("java-echo")
                .imageConfig(
                    ImageConfig.builder().command(FunctionImages.JAVA_ERROR_HANDLER).build()));
    InvokeResponse failed =
        lambda.invoke(r -> r.functionName("java-echo").payload(SdkBytes.fromUtf8String("{}")));
    assertEquals("Unhandled", failed.functionError());
    assertTrue(
        failed.payload().asUtf8String().contains("java.lang.RuntimeException"),
        failed.payload().asUtf8String());

    GetFunctionResponse got = lambda.getFunction(r -> r.functionName("java-echo"));
    assertEquals(512, got.configuration().memorySize());
    assertEquals(FunctionWorld.JAVA, got.code().imageUri());
    assertTrue(
        lambda.listFunctions().functions().stream()
            .anyMatch(f -> f.functionName().equals("java-echo")));
  }

  @Test
  void errorsReachTheSdkAsLambdasExceptions() {
    assertThrows(
        ResourceNotFoundException.class,
        () -> lambda.invoke(r -> r.functionName("absent").payload(SdkBytes.fromUtf8String("{}"))));
    try (LambdaClient wrong = client("not-the-token-but-long-enough")) {
      LambdaException e =
          assertThrows(
              LambdaException.class,
              () ->
                  wrong.invoke(
                      r -> r.functionName("absent").payload(SdkBytes.fromUtf8String("{}"))));
      assertEquals(403, e.statusCode());
    }
  }

  @Test
  void curlWithTheBearerTokenAndTheAwsCliInvokeOverTcp() throws Exception {
    world.create("tcp-echo", FunctionWorld.SHELL, "echo", 128, 10, "");
    Processes.Result curl =
        Processes.run(
            Duration.ofMinutes(1),
            null,
            List.of(
                "curl",
                "-sS",
                "-H",
                "Authorization: Bearer " + FunctionWorld.TOKEN,
                "-d",
                "{\"via\":\"curl\"}",
                endpoint + "/2015-03-31/functions/tcp-echo/invocations"));
    assertEquals("{\"via\":\"curl\"}", curl.stdout().strip(), curl.stderr());
    Processes.Result noToken =
        Processes.run(
            Duration.ofMinutes(1),
            null,
            List.of(
                "curl",
                "-sS",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "-d",
                "{}",
                endpoint + "/2015-03-31/functions/tcp-echo/invocations"));
    assertEquals("403", noToken.stdout().strip());

    if (!awsCliPresent()) {
      System.out.println(
          "FunctionsSdkTest: no aws command on this machine; the AWS CLI part is skipped");
      return;
    }
    Path out = tmp.resolve("aws-out.json");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "aws",
                "lambda",
                "invoke",
                "--endpoint-url",
                endpoint.toString(),
                "--region",
                "us-east-1",
                "--function-name",
                "tcp-echo",
                "--payload",
                "{\"via\":\"aws\"}"));
    if (awsCliVersion().startsWith("aws-cli/2")) {
      cmd.addAll(List.of("--cli-binary-format", "raw-in-base64-out"));
    }
    cmd.add(out.toString());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.put("AWS_ACCESS_KEY_ID", "blocklift");
    env.put("AWS_SECRET_ACCESS_KEY", FunctionWorld.TOKEN);
    env.put("AWS_EC2_METADATA_DISABLED", "true");
    env.put("AWS_CONFIG_FILE", tmp.resolve("no-aws-config").toString());
    env.put("AWS_SHARED_CREDENTIALS_FILE", tmp.resolve("no-aws-credentials").toString());
    Process p = pb.start();
    String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), said);
    assertTrue(said.contains("\"StatusCode\": 200"), said);
    assertEquals("{\"via\":\"aws\"}", Files.readString(out).strip());
  }

  private static boolean awsCliPresent() {
    try {
      return !awsCliVersion().isEmpty();
    } catch (Exception e) {
      return false;
    }
  }

  private static String awsCliVersion() throws Exception {
    Process p = new ProcessBuilder("aws", "--version").redirectErrorStream(true).start();
    String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    return p.waitFor() == 0 ? v : "";
  }
}
