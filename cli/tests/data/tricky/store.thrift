include "shared.thrift"

union Pick {
  1: i32 number,
  2: string word,
}

/** Holds a union by value: no `Default`, like the union itself. */
struct Picked {
  1: required Pick pick,
  2: i32 score,
}

service Base {
  string version(),
}

/** A store: extends Base, keywords as names, containers, unions, exceptions. */
service Store extends Base {
  shared.Item get(1: string type, 2: i64 self) throws (1: shared.NotFound missing),
  map<string, list<shared.Item>> search(1: set<string> tags, 2: optional i32 limit),
  void put(1: shared.Item item),
  Pick pick(1: Pick hint),
  shared.Timestamp now(),
  binary raw(1: binary data, 2: double weight),
  oneway void forget(1: string name),
  Picked choose(1: required Picked from, 2: string req, 3: i32 h),
}
