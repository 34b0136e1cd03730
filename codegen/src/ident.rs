//! The single authority on Rust names: case conversion and keyword escaping.
//!
//! Every identifier kit writes into generated code goes through this module, so the rules are
//! the same for types, fields, variants, modules and methods, and collisions after conversion
//! can be found in one place ([`Collisions`]).

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

/// [`escape`], keeping `name`'s allocation when it is a valid identifier already.
fn escape_owned(name: String) -> String {
    let plain = !RAW_IMPOSSIBLE.contains(&name.as_str())
        && !RAW_OK.contains(&name.as_str())
        && !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit());
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

/// Constants and enum values: `SHOUTY_SNAKE_CASE`.
pub fn const_name(name: &str) -> String {
    let s = shouty_snake(name);
    if s.is_empty() {
        "UNDERSCORE".to_string()
    } else {
        escape(&s)
    }
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
        .map(upper_camel)
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
    let s = snake_words(name);
    if s.is_empty() {
        "underscore".to_string()
    } else {
        s
    }
}

/// heck's `to_snake_case`.
fn snake_words(name: &str) -> String {
    if !name.is_ascii() {
        return name.to_snake_case();
    }
    ascii_words(name, "_", |w, out| {
        out.extend(w.bytes().map(|b| char::from(b.to_ascii_lowercase())))
    })
}

/// heck's `to_upper_camel_case`.
fn upper_camel(name: &str) -> String {
    if !name.is_ascii() {
        return name.to_upper_camel_case();
    }
    ascii_words(name, "", |w, out| {
        for (i, b) in w.bytes().enumerate() {
            let c = if i == 0 {
                b.to_ascii_uppercase()
            } else {
                b.to_ascii_lowercase()
            };
            out.push(char::from(c));
        }
    })
}

/// heck's `to_shouty_snake_case`.
fn shouty_snake(name: &str) -> String {
    if !name.is_ascii() {
        return name.to_shouty_snake_case();
    }
    ascii_words(name, "_", |w, out| {
        out.extend(w.bytes().map(|b| char::from(b.to_ascii_uppercase())))
    })
}

/// heck 0.5's word splitting (its `transform`) for an ASCII name, step for step: words are
/// split at non-alphanumerics, after a lowercase-or-caseless run before an uppercase letter, and
/// before the last of several uppercase letters followed by a lowercase one; each word goes
/// through `word`, with `sep` between words. heck writes every character through `fmt` (about
/// 5k instructions a name, ~3 % of `kit gen` on googleapis); for ASCII, where its case tests
/// and mappings are the ASCII ones, this gives the same string directly. Tested against heck.
fn ascii_words(name: &str, sep: &str, word: impl Fn(&str, &mut String)) -> String {
    #[derive(Clone, Copy, PartialEq)]
    enum Mode {
        Boundary,
        Lowercase,
        Uppercase,
    }
    let mut out = String::with_capacity(name.len() + 4);
    let mut first_word = true;
    for w in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let b = w.as_bytes();
        let mut init = 0;
        let mut mode = Mode::Boundary;
        for k in 0..b.len() {
            let c = b[k];
            let Some(&next) = b.get(k + 1) else {
                // The trailing characters are a word.
                if !first_word {
                    out.push_str(sep);
                }
                first_word = false;
                word(&w[init..], &mut out);
                break;
            };
            let next_mode = if c.is_ascii_lowercase() {
                Mode::Lowercase
            } else if c.is_ascii_uppercase() {
                Mode::Uppercase
            } else {
                mode
            };
            if next_mode == Mode::Lowercase && next.is_ascii_uppercase() {
                // A boundary after this character.
                if !first_word {
                    out.push_str(sep);
                }
                word(&w[init..k + 1], &mut out);
                first_word = false;
                init = k + 1;
                mode = Mode::Boundary;
            } else if mode == Mode::Uppercase && c.is_ascii_uppercase() && next.is_ascii_lowercase()
            {
                // A boundary before this character.
                if !first_word {
                    out.push_str(sep);
                }
                first_word = false;
                word(&w[init..k], &mut out);
                init = k;
                mode = Mode::Boundary;
            } else {
                mode = next_mode;
            }
        }
    }
    out
}

/// `a-z` first, then `a-z`, `0-9` and single underscores, no underscore last: exactly one word
/// per underscore-separated part for heck, lowercase already, so `to_snake_case` is the identity.
fn is_plain_snake(name: &str) -> bool {
    let b = name.as_bytes();
    matches!(b.first(), Some(b'a'..=b'z'))
        && !name.ends_with('_')
        && !name.contains("__")
        && b.iter()
            .all(|c| matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'_'))
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
    fn ascii_case_conversion_is_heck_s() {
        let mut names: Vec<String> = [
            "",
            "_",
            "__",
            "a",
            "A",
            "aB",
            "Ab",
            "AB",
            "ABc",
            "fooBar",
            "FooBar",
            "foo_bar",
            "FOO_BAR",
            "HTTPRequest",
            "XMLHttpRequest",
            "getHTTPResponseCode",
            "V1Beta2",
            "v1beta1",
            "IPv4Address",
            "OAuth2Token",
            "a1B2c3",
            "ABCdef",
            "snake_Case",
            "__x__",
            "x--y",
            "a  b",
            "123abc",
            "A1",
            "A1B",
            "A1b",
            "a1B",
            "1A",
            "ID",
            "Id",
            "iD",
            "x.y.Z",
            "TLSConfig_v2",
            "already_snake_case",
            "CONSTANT_VALUE_2",
            "mixed-Case_name here",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // And many generated ones over an alphabet that exercises every rule.
        let alphabet = b"aBz9_-Q1x. ";
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let len = (seed >> 60) as usize;
            let mut n = String::new();
            let mut x = seed;
            for _ in 0..len {
                n.push(char::from(alphabet[(x % alphabet.len() as u64) as usize]));
                x /= alphabet.len() as u64;
                if x == 0 {
                    x = seed.rotate_left(17) | 1;
                }
            }
            names.push(n);
        }
        for n in &names {
            assert_eq!(snake_words(n), n.to_snake_case(), "snake {n:?}");
            assert_eq!(upper_camel(n), n.to_upper_camel_case(), "camel {n:?}");
            assert_eq!(shouty_snake(n), n.to_shouty_snake_case(), "shouty {n:?}");
        }
        // Other names go through heck itself.
        for n in ["Ünïcode", "ΣΑΣ", "straße", "naïveName"] {
            assert_eq!(snake_words(n), n.to_snake_case());
            assert_eq!(upper_camel(n), n.to_upper_camel_case());
            assert_eq!(shouty_snake(n), n.to_shouty_snake_case());
        }
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
