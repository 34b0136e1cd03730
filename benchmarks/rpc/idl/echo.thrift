// The RPC benchmark's echo service, shared by kit and Volo (and by the Volo interop test).
namespace rs echo

struct EchoRequest {
  1: required binary payload,
}

struct EchoResponse {
  1: required binary payload,
}

service Echo {
  /** Returns the payload it is given. */
  EchoResponse echo(1: EchoRequest request),
}
