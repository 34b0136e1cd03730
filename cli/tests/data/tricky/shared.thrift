namespace rs shared

typedef i64 Timestamp

enum Color {
  RED = 1,
  GREEN = 2,
}

struct Item {
  1: required string name,
  2: optional Timestamp at,
  3: list<Color> colors,
}

exception NotFound {
  1: string what,
}
