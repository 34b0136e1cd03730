// Fields stored as `Arc<T>`: asked for by annotation (kit's and Pilota's spelling) or by a
// build.rs rule (`arc_field("Order.ids")`, `arc_field("Order.parent")`).
namespace rs arc

struct Item {
  1: string name,
  2: i64 qty,
}

struct Order {
  1: list<Item> items (kit.arc = "true"),
  2: optional Item first (kit.arc = "true"),
  3: map<string, Item> by_name (pilota.rust_wrapper_arc = "true"),
  4: required Item main (kit.arc = "true"),
  5: set<i64> ids,
  // Recursive: an `Option<Arc<Order>>` instead of an `Option<Box<Order>>`.
  6: Order parent,
  7: Item defaulted = { "name": "d", "qty": 1 } (kit.arc = "true"),
  8: i64 plain,
}

const Order SAMPLE = { "main": { "name": "m", "qty": 2 }, "items": [{ "name": "a", "qty": 1 }] }
