//! The single authority on Rust names: case conversion and keyword escaping.
//!
//! Every identifier kit writes into generated code goes through this module, so the rules are
//! the same for types, fields, variants, modules and methods, and collisions after conversion
//! can be found in one place ([`Collisions`]).

use std::borrow::Cow;

use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};

/// Keywords usable as raw identifiers (`r#type`).
const RAW_OK: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers: renamed with a trailing underscore.
const RAW_IMPOSSIBLE: &[&str] = &["self", "Self", "super", "crate", "_"];

/// `name` is in [`RAW_OK`] or [`RAW_IMPOSSIBLE`] (a `match`, which the compiler turns into a
/// switch on the length and a few word comparisons: this runs for every field name). The
/// printer's `is_keyword` (print.rs) is another set: the keywords that change spacing.
fn is_keyword(name: &str) -> bool {
    matches!(
        name,
        "abstract"
            | "as"
            | "async"
            | "await"
            | "become"
            | "box"
            | "break"
            | "const"
            | "continue"
            | "do"
            | "dyn"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "final"
            | "fn"
            | "for"
            | "gen"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "macro"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "override"
            | "priv"
            | "pub"
            | "ref"
            | "return"
            | "static"
            | "struct"
            | "trait"
            | "true"
            | "try"
            | "type"
            | "typeof"
            | "unsafe"
            | "unsized"
            | "use"
            | "virtual"
            | "where"
            | "while"
            | "yield"
            | "self"
            | "Self"
            | "super"
            | "crate"
            | "_"
    )
}

/// Makes `name` a valid Rust identifier: raw (`r#type`) where Rust allows it, a trailing
/// underscore (`self_`) where it does not, a leading underscore before a digit.
pub fn escape(name: &str) -> String {
    if RAW_IMPOSSIBLE.contains(&name) {
        format!("{name}_")
    } else if RAW_OK.contains(&name) {
        format!("r#{name}")
    } else if name.is_empty() {
        "empty_".to_string()
    } else if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{name}")
    } else {
        name.to_string()
    }
}

/// Whether `s` can be an identifier's text (as [`escape`] makes them; `r#` stripped): not empty,
/// no ASCII character other than letters, digits and `_`, not starting with a digit. A check for
/// debug builds: the naming functions here are what make identifiers valid.
pub(crate) fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.bytes()
            .all(|b| !b.is_ascii() || b.is_ascii_alphanumeric() || b == b'_')
}

/// [`escape`], keeping `name`'s allocation when it is a valid identifier already.
fn escape_owned(name: String) -> String {
    let plain =
        !is_keyword(&name) && !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        name
    } else {
        escape(&name)
    }
}

/// Struct, enum, trait and type alias names: `UpperCamelCase`.
pub fn type_name(name: &str) -> String {
    escape_owned(camel(name))
}

/// Field, method, argument and module names: `snake_case`.
pub fn field_name(name: &str) -> String {
    escape_owned(snake(name))
}

/// Module names (same rules as fields).
pub fn module_name(name: &str) -> String {
    field_name(name)
}

/// [`field_name`], borrowing `name` when it is its own Rust name (a snake-case name that is
/// no keyword): most are, and finding collisions needs no copies of them.
pub fn field_name_cow(name: &str) -> Cow<'_, str> {
    if is_plain_snake(name) && !is_keyword(name) {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(field_name(name))
    }
}

/// Constants and enum values: `SHOUTY_SNAKE_CASE`.
pub fn const_name(name: &str) -> String {
    const_name_cow(name).into_owned()
}

/// [`const_name`], borrowing `name` when it is its own Rust name (`KIND_A`, `V2`): no keyword
/// is upper case, and heck gives such a name back unchanged.
pub fn const_name_cow(name: &str) -> Cow<'_, str> {
    if is_plain_shouty(name) {
        return Cow::Borrowed(name);
    }
    let s = name.to_shouty_snake_case();
    Cow::Owned(if s.is_empty() {
        "UNDERSCORE".to_string()
    } else {
        escape(&s)
    })
}

/// `A`-`Z` first, then `A`-`Z`, `0`-`9` and single `_`s between them.
fn is_plain_shouty(name: &str) -> bool {
    is_plain(name, |c| c.is_ascii_uppercase())
}

/// `name` starts with a `letter`, then has letters, `0`-`9` and single `_`s between them.
fn is_plain(name: &str, letter: impl Fn(u8) -> bool) -> bool {
    let b = name.as_bytes();
    b.first().is_some_and(|&c| letter(c))
        && !name.ends_with('_')
        && !name.contains("__")
        && b.iter()
            .all(|&c| letter(c) || c.is_ascii_digit() || c == b'_')
}

/// Enum variants of unions and oneofs: `UpperCamelCase`.
pub fn variant_name(name: &str) -> String {
    type_name(name)
}

fn camel(name: &str) -> String {
    // heck drops underscores that separate digits ("V1_2" -> "V12"); keep one where two digits
    // would otherwise merge, so distinct names stay distinct.
    let parts: Vec<String> = name
        .split('_')
        .filter(|p| !p.is_empty())
        .map(|p| p.to_upper_camel_case())
        .collect();
    let mut out = String::with_capacity(name.len());
    for p in parts {
        let prev_digit = out.ends_with(|c: char| c.is_ascii_digit());
        if prev_digit && p.starts_with(|c: char| c.is_ascii_digit()) {
            out.push('_');
        }
        out.push_str(&p);
    }
    if out.is_empty() {
        // All underscores: keep something stable and valid.
        return "Underscore".to_string();
    }
    out
}

fn snake(name: &str) -> String {
    // Most Protobuf field names are snake case already: heck would give them back unchanged,
    // one case-mapped character at a time (about 1.5 % of `kit gen` on googleapis).
    if is_plain_snake(name) {
        return name.to_string();
    }
    let s = name.to_snake_case();
    if s.is_empty() {
        "underscore".to_string()
    } else {
        s
    }
}

/// `a-z` first, then `a-z`, `0-9` and single underscores, no underscore last: exactly one word
/// per underscore-separated part for heck, lowercase already, so `to_snake_case` is the identity.
fn is_plain_snake(name: &str) -> bool {
    is_plain(name, |c| c.is_ascii_lowercase())
}

/// Finds different IDL names that become the same Rust name in one scope.
///
/// ```
/// use kit_codegen::ident::{field_name, Collisions};
/// let mut c = Collisions::default();
/// assert!(c.insert(field_name("userId"), "userId").is_none());
/// assert_eq!(c.insert(field_name("user_id"), "user_id"), Some("userId".to_string()));
/// ```
#[derive(Default)]
pub struct Collisions {
    seen: std::collections::HashMap<String, String>,
}

impl Collisions {
    /// Records that `original` became `rust`; returns the earlier original name that became the
    /// same Rust name, if any.
    pub fn insert(&mut self, rust: String, original: &str) -> Option<String> {
        match self.seen.get(&rust) {
            Some(prev) if prev != original => Some(prev.clone()),
            Some(_) => None,
            None => {
                self.seen.insert(rust, original.to_string());
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quick_keyword_test_knows_every_keyword() {
        for k in RAW_OK.iter().chain(RAW_IMPOSSIBLE) {
            assert!(is_keyword(k), "{k}");
        }
        // ... and nothing else: the match has as many names as the two lists.
        let listed = RAW_OK.len() + RAW_IMPOSSIBLE.len();
        let src = include_str!("ident.rs");
        let body = &src[src.find("fn is_keyword").unwrap()..];
        let body = &body[..body.find("\n}\n").unwrap()];
        assert_eq!(body.matches("| \"").count() + 1, listed);
        for n in [
            "",
            "types",
            "Type",
            "selfie",
            "r#type",
            "override_",
            "_a",
            "9",
        ] {
            assert!(!is_keyword(n), "{n}");
        }
    }

    #[test]
    fn keywords_are_escaped_or_renamed() {
        assert_eq!(field_name("type"), "r#type");
        assert_eq!(field_name("return"), "r#return");
        assert_eq!(field_name("async"), "r#async");
        assert_eq!(field_name("self"), "self_");
        assert_eq!(field_name("super"), "super_");
        assert_eq!(field_name("crate"), "crate_");
        assert_eq!(type_name("Self"), "Self_");
        assert_eq!(type_name("self"), "Self_");
        assert_eq!(field_name("_"), "underscore");
        assert_eq!(type_name("type"), "Type");
    }

    #[test]
    fn case_conversion() {
        assert_eq!(type_name("thrift_test"), "ThriftTest");
        assert_eq!(type_name("HTTPServer"), "HttpServer");
        assert_eq!(type_name("v1_2"), "V1_2");
        assert_eq!(type_name("V1_2"), "V1_2");
        assert_eq!(field_name("userId"), "user_id");
        assert_eq!(field_name("UserID"), "user_id");
        assert_eq!(field_name("1st"), "_1st");
        assert_eq!(const_name("maxSize"), "MAX_SIZE");
        assert_eq!(const_name("TYPE"), "TYPE");
    }

    #[test]
    fn the_snake_case_shortcut_is_what_heck_returns() {
        let names = [
            "a",
            "ab",
            "a1",
            "a_b",
            "a1_b2",
            "v1beta1",
            "ipv4_address",
            "page_token",
            "x9_y",
            "name_2",
            "x",
            "field_1_2",
            "abc_def_ghi",
        ];
        for n in names {
            assert!(is_plain_snake(n), "{n}");
            assert_eq!(snake(n), n.to_snake_case(), "{n}");
        }
        let other = [
            "", "_a", "a_", "a__b", "A", "aB", "fooBar", "1a", "a-b", "a.b", "é", "aé", "HTTP",
        ];
        for n in other {
            assert!(!is_plain_snake(n), "{n}");
        }
    }

    #[test]
    fn the_borrowing_forms_give_the_same_names() {
        let names = [
            "a", "a_b", "type", "self", "fooBar", "1st", "_", "KIND72_A", "V2", "MAX_SIZE", "A",
            "HTTP_2", "A1B2", "TYPE", "SELF", "A__B", "A_", "_A", "maxSize", "Kind", "K9_Z9_X",
            "ÄÖ", "",
        ];
        for n in names {
            assert_eq!(field_name_cow(n), field_name(n), "{n}");
            assert_eq!(const_name_cow(n), const_name(n), "{n}");
        }
        // The shortcut is taken where heck changes nothing, and only there.
        let plain = [
            "A", "V2", "KIND72_A", "HTTP_2", "A1B2", "K9_Z9_X", "MAX_SIZE", "TYPE",
        ];
        for n in plain {
            assert!(is_plain_shouty(n), "{n}");
            assert_eq!(n.to_shouty_snake_case(), n, "{n}");
            assert!(matches!(const_name_cow(n), Cow::Borrowed(_)), "{n}");
        }
        for n in ["", "a", "Ab", "A__B", "A_", "_A", "1A", "A-B", "É"] {
            assert!(!is_plain_shouty(n), "{n}");
        }
        assert!(matches!(field_name_cow("a_b"), Cow::Borrowed(_)));
        assert!(matches!(field_name_cow("type"), Cow::Owned(_)));
    }

    #[test]
    fn every_output_is_an_identifier() {
        for name in [
            "type", "self", "Self", "crate", "super", "_", "__", "1st", "a_b", "A", "ÄÖ", "x1_2",
        ] {
            for f in [type_name, field_name, const_name, module_name] {
                let id = f(name);
                assert!(
                    syn::parse_str::<syn::Ident>(&id).is_ok(),
                    "{name:?} -> {id:?} is not an identifier"
                );
            }
        }
    }

    #[test]
    fn collisions_are_found() {
        let mut c = Collisions::default();
        assert!(c.insert(field_name("fooBar"), "fooBar").is_none());
        assert!(c.insert(field_name("fooBar"), "fooBar").is_none());
        assert_eq!(
            c.insert(field_name("foo_bar"), "foo_bar").as_deref(),
            Some("fooBar")
        );
    }
}
