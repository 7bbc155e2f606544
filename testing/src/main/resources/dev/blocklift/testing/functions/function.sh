# Handlers of the shell custom runtime (sourced by /var/runtime/bootstrap): handle_<name> reads the
# event from $EVENT, writes the result to $RESPONSE, logs to stdout/stderr; non-zero = error.

# Returns the event unchanged.
handle_echo() {
  cat "$EVENT" >"$RESPONSE"
}

# What the sandbox looks like from inside: function name, memory, handler, the PID namespace
# (distinct per sandbox), this runtime's pid and how many events this sandbox's /tmp has seen.
handle_env() {
  printf '{"function_name":%s,"memory_size":%s,"handler":%s,"pid_ns":%s,"pid":%s,"invocations":%s,"request_id":%s}' \
    "$(json_str "${AWS_LAMBDA_FUNCTION_NAME:-}")" \
    "$(json_str "${AWS_LAMBDA_FUNCTION_MEMORY_SIZE:-}")" \
    "$(json_str "${_HANDLER:-}")" \
    "$(json_str "$(readlink /proc/self/ns/pid)")" \
    "$$" \
    "$(cat "$COUNTER")" \
    "$(json_str "$REQUEST_ID")" >"$RESPONSE"
}

# Sleeps for the first number in the event (seconds), then returns the event.
handle_sleep() {
  seconds=$(grep -o '[0-9][0-9]*' "$EVENT" | head -n 1)
  echo "sleeping ${seconds:-0}s"
  waitfor sleep "${seconds:-0}"
  cat "$EVENT" >"$RESPONSE"
}

# Dies mid-invocation: the runtime process exits 1 without a response.
handle_crash() {
  echo "crashing on purpose in request $REQUEST_ID" >&2
  exit 1
}

# A function error: the runtime POSTs .../error with errorType HandlerError.
handle_error() {
  echo "failing on purpose in request $REQUEST_ID" >&2
  echo "error on purpose" >"$RESPONSE"
  return 1
}

# Logs a line to each of stdout and stderr, returns "ok".
handle_log() {
  echo "log to stdout from request $REQUEST_ID"
  echo "log to stderr from request $REQUEST_ID" >&2
  printf 'ok' >"$RESPONSE"
}
