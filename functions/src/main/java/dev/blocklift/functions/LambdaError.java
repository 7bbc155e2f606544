package dev.blocklift.functions;

import java.util.Optional;

/**
 * A refusal answered as Lambda answers it: an HTTP status, the error type in {@code
 * X-Amzn-ErrorType} and a JSON body {@code {"Type":"User","message":...}} (the AWS SDKs read the
 * type from the header and the message from the body).
 */
public final class LambdaError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Lambda's error types that blocklift answers, with their statuses. */
  public enum Kind {
    RESOURCE_NOT_FOUND("ResourceNotFoundException", 404, "User"),
    RESOURCE_CONFLICT("ResourceConflictException", 409, "User"),
    INVALID_PARAMETER("InvalidParameterValueException", 400, "User"),
    INVALID_REQUEST_CONTENT("InvalidRequestContentException", 400, "User"),
    REQUEST_TOO_LARGE("RequestTooLargeException", 413, "User"),
    TOO_MANY_REQUESTS("TooManyRequestsException", 429, "User"),
    UNSUPPORTED_MEDIA("UnsupportedMediaTypeException", 415, "User"),
    ACCESS_DENIED("AccessDeniedException", 403, "User"),
    SIGNATURE("InvalidSignatureException", 403, "User"),
    UNAUTHORIZED("UnrecognizedClientException", 403, "User"),
    SERVICE("ServiceException", 500, "Service"),
    IMAGE_ERROR("InvalidImageException", 502, "User");

    final String type;
    final int status;
    final String side;

    Kind(String type, int status, String side) {
      this.type = type;
      this.status = status;
      this.side = side;
    }

    public String type() {
      return type;
    }

    public int status() {
      return status;
    }
  }

  private final Kind kind;
  private final Optional<String> reason;

  public LambdaError(Kind kind, String message) {
    this(kind, message, Optional.empty());
  }

  public LambdaError(Kind kind, String message, Optional<String> reason) {
    super(message);
    this.kind = kind;
    this.reason = reason;
  }

  public Kind kind() {
    return kind;
  }

  /**
   * Lambda's {@code Reason} of a throttle (e.g. ReservedFunctionConcurrentInvocationLimitExceeded).
   */
  public Optional<String> reason() {
    return reason;
  }

  static LambdaError notFound(FunctionName name) {
    return new LambdaError(Kind.RESOURCE_NOT_FOUND, "Function not found: " + name);
  }

  static LambdaError invalid(String message) {
    return new LambdaError(Kind.INVALID_PARAMETER, message);
  }
}
