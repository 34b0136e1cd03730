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
