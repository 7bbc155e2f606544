package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The Java function of dev.blocklift.testing.FunctionImages, compiled when the image is built.
 * Handlers: {@code example.Handler::handleRequest} returns the event unchanged; {@code
 * example.Handler::fail} throws (a function error); {@code example.Handler::context} returns what
 * the runtime client made of the invocation (request id, function name, memory, time left).
 */
public class Handler implements RequestStreamHandler {
  @Override
  public void handleRequest(InputStream input, OutputStream output, Context context)
      throws IOException {
    input.transferTo(output);
  }

  public void fail(InputStream input, OutputStream output, Context context) {
    System.err.println("failing on purpose in request " + context.getAwsRequestId());
    throw new RuntimeException("error on purpose");
  }

  public void context(InputStream input, OutputStream output, Context context)
      throws IOException {
    String json =
        "{\"request_id\":\"" + context.getAwsRequestId()
            + "\",\"function_name\":\"" + context.getFunctionName()
            + "\",\"memory_limit_mb\":" + context.getMemoryLimitInMB()
            + ",\"remaining_ms\":" + context.getRemainingTimeInMillis()
            + ",\"java_version\":\"" + System.getProperty("java.version") + "\"}";
    output.write(json.getBytes(StandardCharsets.UTF_8));
  }
}
