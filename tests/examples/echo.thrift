namespace rs echo

/** What the server says back. */
struct EchoResponse {
  1: required string message,
  2: optional i64 served_at_ms,
}

exception EchoError {
  1: i32 code,
  2: string reason,
}

service Echo {
  /** Returns the message it is given. */
  EchoResponse echo(1: string message) throws (1: EchoError err),
  oneway void ping(),
}
