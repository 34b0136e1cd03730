// Unions held by value: required union arguments and fields, a struct that holds such a
// struct, and IDL defaults beside them. None of these can derive `Default`.
namespace rs unions

union Shape {
  1: double circle,
  2: list<double> polygon,
  3: string named,
}

typedef Shape AliasShape

struct Placed {
  1: required Shape shape,
  2: i32 layer = 3,
  3: optional string label,
  4: AliasShape other,
}

struct Scene {
  1: required Placed first,
  2: list<Placed> rest,
  3: optional Shape hint,
}

exception Bad {
  1: Shape which,
}

service Canvas {
  Shape draw(1: required Shape shape, 2: i32 times, 3: Shape maybe) throws (1: Bad bad),
  Scene compose(1: required Scene scene),
}

// Constants of unions and of union-holding structs: a union constant is one variant (the last
// member given, as decoding keeps the last one read); a struct without `Default` spells out
// every field it leaves out (IDL default, None, or the type's default).
const Shape UNIT_CIRCLE = { "circle": 1.0 }
const Shape LAST_WINS = { "circle": 1.0, "named": "second" }
const Placed ORIGIN = { "shape": { "polygon": [0.0, 0.5] }, "other": { "named": "o" } }
const list<Placed> LAYERS = [
  { "shape": { "circle": 2.0 }, "layer": 7, "label": "top", "other": { "circle": 0.0 } },
]

struct Framed {
  1: Shape frame = { "named": "border" },
  2: optional Shape inner = { "circle": 0.25 },
}
