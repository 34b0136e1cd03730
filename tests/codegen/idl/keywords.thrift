// Identifiers that are Rust keywords, and names that only differ in case.
namespace rs keywords

enum type {
  self = 1,
  crate = 3,
  super = 4,
  match = 5,
}

struct impl {
  1: i32 type,
  2: string self,
  3: optional string fn,
  4: list<string> async,
  5: type enum,
}

union mod {
  1: i32 loop,
  2: string while,
}

exception return {
  1: string message,
  2: i32 crate,
}

struct Tree {
  1: list<Tree> kids,
  2: optional Tree left,
  3: map<string, Tree> named,
}

// Fields without ids get -1, -2, ... (with a warning), as Apache assigns them.
struct NoIds {
  string first,
  i32 second,
}

// Argument names that generated server dispatch and client methods also use for their own
// locals: the generated code must keep them apart.
exception Oops {
  1: string why,
}

service Shadows {
  string echo(1: string req, 2: i32 h, 3: i64 args, 4: string out, 5: i32 e, 6: i32 r, 7: i32 v, 8: i32 a) throws (1: Oops e2),
  oneway void fire(1: string req, 2: i32 h, 3: i32 args),
}
