//! Extra attributes per type and per field ([`Options::type_attributes`],
//! [`Options::field_attributes`]), matched by IDL path as prost-build matches its paths.
//!
//! A definition's IDL path is its fully qualified name with a leading dot:
//! - Protobuf: `.package.Outer.Inner` (`.Outer.Inner` in a file without a package); a oneof of
//!   message `M` is `.package.M.oneof_name`.
//! - Thrift: `.stem.Name`, where `stem` is the file name without `.thrift`, and also
//!   `.namespace.Name` when the file has a `namespace rs` (or `*`); a rule matching either applies.
//!
//! A field's path is its type's path, a dot and the field's IDL name (`.package.M.field`); a
//! oneof member's is the oneof's path, a dot and its name (`.package.M.oneof_name.field`), and a
//! Thrift union member's is the union's path and its name.
//!
//! A pattern matches a path, segment by segment, when
//! - it is `.`: every path;
//! - it starts with `.`: it is the path or a prefix of it (`.a.b` matches `.a.b` and `.a.b.C`,
//!   not `.a.bc`), so a package rule reaches all its types, and a message rule its nested
//!   types and oneofs (as in prost-build);
//! - otherwise: it is a suffix of the path (`C` and `b.C` match `.a.b.C`; `M.f` matches field
//!   `f` of every type named `M`).
//!
//! Rules apply in the order given; their attributes are emitted after kit's own `#[derive]`.
//! Typedefs, constants and services get none; nor do the argument and result structs kit makes
//! for Thrift services.

use std::fmt;

use crate::tokens::Tokens;

use crate::Options;

/// Why the options are invalid: a pattern or an attribute that does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionsError(String);

impl fmt::Display for OptionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OptionsError {}

enum Pattern {
    All,
    /// `.a.b`: the path itself or a prefix of it.
    Absolute(String),
    /// `b.C`: a suffix of the path (stored as `.b.C`).
    Relative(String),
}

impl Pattern {
    fn parse(p: &str) -> Result<Pattern, String> {
        if p == "." {
            return Ok(Pattern::All);
        }
        let (absolute, rest) = match p.strip_prefix('.') {
            Some(r) => (true, r),
            None => (false, p),
        };
        if rest.is_empty() || rest.split('.').any(|s| s.is_empty()) {
            return Err("a path is `.`, `.pkg.Type`, `Type` or `Type.field`: dot-separated names, none empty".into());
        }
        if let Some(c) = rest
            .chars()
            .find(|c| !(c.is_alphanumeric() || *c == '_' || *c == '.'))
        {
            return Err(format!(
                "`{c}` cannot be part of an IDL path (names, letters, digits and `_`, separated by `.`)"
            ));
        }
        let dotted = format!(".{rest}");
        Ok(if absolute {
            Pattern::Absolute(dotted)
        } else {
            Pattern::Relative(dotted)
        })
    }

    fn matches(&self, path: &str) -> bool {
        match self {
            Pattern::All => true,
            Pattern::Absolute(p) => {
                path == p
                    || path
                        .strip_prefix(p.as_str())
                        .is_some_and(|r| r.starts_with('.'))
            }
            Pattern::Relative(p) => path.ends_with(p.as_str()),
        }
    }
}

struct Rule {
    pattern: Pattern,
    /// The validated attributes, as tokens (parsed once).
    attrs: Tokens,
}

/// The validated rules of an [`Options`].
#[derive(Default)]
pub struct Rules {
    types: Vec<Rule>,
    fields: Vec<Rule>,
    /// [`Options::arc_fields`].
    arc: Vec<Pattern>,
}

/// Parses `text` as one or more outer attributes (`#[derive(Hash)] #[repr(C)]`).
fn parse_attrs(text: &str) -> Result<Tokens, String> {
    use syn::parse::Parser;
    let attrs = syn::Attribute::parse_outer
        .parse_str(text)
        .map_err(|e| format!("`{text}` is not a Rust attribute: {e}"))?;
    if attrs.is_empty() {
        return Err("the attribute is empty: write it in full, e.g. `#[derive(Hash)]`".into());
    }
    let mut tokens = proc_macro2::TokenStream::new();
    for a in &attrs {
        quote::ToTokens::to_tokens(a, &mut tokens);
    }
    Ok(Tokens::from_proc_macro2(tokens))
}

/// What [`Options::serde`] puts on every type.
const SERDE: &str =
    "#[derive(::kit_runtime::serde::Serialize, ::kit_runtime::serde::Deserialize)] \
                     #[serde(crate = \"::kit_runtime::serde\")]";

fn parse_rules(kind: &str, rules: &[(String, String)]) -> Result<Vec<Rule>, OptionsError> {
    rules
        .iter()
        .enumerate()
        .map(|(i, (pattern, attr))| {
            let err = |m: String| {
                OptionsError(format!(
                    "{kind} attribute rule {} (path `{pattern}`): {m}",
                    i + 1
                ))
            };
            Ok(Rule {
                pattern: Pattern::parse(pattern).map_err(err)?,
                attrs: parse_attrs(attr).map_err(err)?,
            })
        })
        .collect()
}

impl Rules {
    pub fn new(options: &Options) -> Result<Rules, OptionsError> {
        let mut types = Vec::new();
        if options.serde {
            types.extend(parse_rules(
                "serde",
                &[(".".to_string(), SERDE.to_string())],
            )?);
        }
        types.extend(parse_rules("type", &options.type_attributes)?);
        let arc = options
            .arc_fields
            .iter()
            .enumerate()
            .map(|(i, p)| {
                Pattern::parse(p).map_err(|m| {
                    OptionsError(format!("arc field rule {} (path `{p}`): {m}", i + 1))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Rules {
            types,
            fields: parse_rules("field", &options.field_attributes)?,
            arc,
        })
    }

    /// There are [`Options::arc_fields`] rules.
    pub fn has_arc_rules(&self) -> bool {
        !self.arc.is_empty()
    }

    /// Some [`Options::arc_fields`] rule matches field `name` of a type with these paths.
    pub fn arc_field(&self, type_paths: &[String], name: &str) -> bool {
        !self.arc.is_empty()
            && type_paths.iter().any(|p| {
                let path = format!("{p}.{name}");
                self.arc.iter().any(|r| r.matches(&path))
            })
    }

    /// The attributes of a type with these paths, rules in order.
    pub fn for_type(&self, paths: &[String]) -> Tokens {
        collect(&self.types, paths.iter().map(String::as_str))
    }

    /// The attributes of field `name` of a type with these paths, rules in order.
    pub fn for_field(&self, type_paths: &[String], name: &str) -> Tokens {
        if self.fields.is_empty() {
            return Tokens::new();
        }
        let paths: Vec<String> = type_paths.iter().map(|p| format!("{p}.{name}")).collect();
        collect(&self.fields, paths.iter().map(String::as_str))
    }
}

fn collect<'a>(rules: &[Rule], paths: impl Iterator<Item = &'a str> + Clone) -> Tokens {
    let mut out = crate::tokens::TokenBuf::default();
    for r in rules {
        if paths.clone().any(|p| r.pattern.matches(p)) {
            crate::tokens::ToTokens::to_tokens(&r.attrs, &mut out);
        }
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, path: &str) -> bool {
        Pattern::parse(pattern).unwrap().matches(path)
    }

    #[test]
    fn patterns_match_by_segment() {
        assert!(m(".", ".a.b.C"));
        assert!(m(".a.b", ".a.b.C"));
        assert!(m(".a.b", ".a.b"));
        assert!(!m(".a.b", ".a.bc.C"));
        assert!(!m(".a.b.C", ".a.b"));
        assert!(m("C", ".a.b.C"));
        assert!(m("b.C", ".a.b.C"));
        assert!(!m("C", ".a.b.XC"));
        assert!(!m("b", ".a.b.C"));
        assert!(m("C.f", ".a.C.f"));
        assert!(m("a.b.C", ".a.b.C"));
    }

    #[test]
    fn bad_patterns_and_attributes_are_errors() {
        for p in ["", "..", ".a.", "a..b", ".a b", "a::b"] {
            let o = Options {
                type_attributes: vec![(p.into(), "#[derive(Hash)]".into())],
                ..Options::default()
            };
            let e = Rules::new(&o)
                .err()
                .unwrap_or_else(|| panic!("{p:?} accepted"));
            assert!(e.to_string().starts_with("type attribute rule 1"), "{e}");
        }
        for a in [
            "derive(Hash)",
            "#[derive(Hash)",
            "#![allow(x)]",
            "",
            "#[a] fn",
        ] {
            let o = Options {
                field_attributes: vec![
                    (".".into(), "#[doc = \"ok\"]".into()),
                    (".".into(), a.into()),
                ],
                ..Options::default()
            };
            let e = Rules::new(&o)
                .err()
                .unwrap_or_else(|| panic!("{a:?} accepted"));
            assert!(
                e.to_string()
                    .starts_with("field attribute rule 2 (path `.`): "),
                "{e}"
            );
        }
    }
}
