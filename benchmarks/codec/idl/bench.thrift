// The three benchmark messages. idl/bench.proto defines the same messages for Protobuf.
namespace rs bench

// (1) Small: a few ints, a bool, a short string.
struct Small {
  1: i32 id,
  2: i64 timestamp,
  3: i32 count,
  4: bool active,
  5: string name,
}

// (2) ~1 KiB, string-heavy: several strings, a list of strings, a binary field.
struct Text {
  1: string title,
  2: string author,
  3: string body,
  4: string url,
  5: list<string> tags,
  6: binary payload,
}

// (3) Nested: a list of nested structs and a map<string, i64>.
struct Item {
  1: i64 id,
  2: string name,
  3: i32 quantity,
  4: bool gift,
}

struct Order {
  1: i64 id,
  2: string customer,
  3: list<Item> items,
  4: map<string, i64> counters,
  5: Small meta,
}
