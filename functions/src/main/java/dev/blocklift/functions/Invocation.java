package dev.blocklift.functions;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * One invoke on its way through a sandbox: the event the runtime fetches with {@code /next}, and
 * the result the runtime posts back (or the worker decides: a timeout, a crash).
 */
final class Invocation {
  final String requestId = UUID.randomUUID().toString();
  final byte[] payload;
  final Optional<String> clientContext;
  final String traceId;
  final CompletableFuture<Result> result = new CompletableFuture<>();
  final StringBuilder log = new StringBuilder();
  volatile Instant started;
  volatile long deadlineEpochMillis;

  Invocation(byte[] payload, Optional<String> clientContext, String traceId) {
    this.payload = payload;
    this.clientContext = clientContext;
    this.traceId = traceId;
  }

  /** Appends a log line, keeping at most the last 64 KiB. */
  synchronized void log(String line) {
    log.append(line).append('\n');
    if (log.length() > 64 * 1024) {
      log.delete(0, log.length() - 64 * 1024);
    }
  }

  synchronized String logText() {
    return log.toString();
  }

  /**
   * What an invoke produced.
   *
   * @param payload the function's response, or Lambda's error document
   * @param functionError "Unhandled" when the function failed (X-Amz-Function-Error)
   */
  @SuppressWarnings("ArrayRecordComponent") // the bytes are handed on as they are, never changed
  record Result(byte[] payload, Optional<String> functionError) {
    static Result ok(byte[] payload) {
      return new Result(payload, Optional.empty());
    }

    static Result error(byte[] errorDocument) {
      return new Result(errorDocument, Optional.of("Unhandled"));
    }

    /** Lambda's error document {@code {"errorType":..., "errorMessage":...}}. */
    static Result error(String type, String message) {
      return error(ErrorDocuments.of(type, message));
    }
  }
}
