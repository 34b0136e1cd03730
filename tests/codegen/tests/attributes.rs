//! Extra attributes from build.rs's `type_attribute`/`field_attribute` rules reach the generated
//! code, and the crate still compiles with `-D warnings`.

use kit_codegen_tests::thrift::test::{Bonk, Xtruct};
use kit_runtime::ByteStr;

const THRIFT: &str = include_str!(concat!(env!("OUT_DIR"), "/kit_gen.rs"));
const PROTO: &str = include_str!(concat!(env!("OUT_DIR"), "/proto/kit_gen.rs"));

/// `.thrift.test.Bonk` (by namespace) derives `PartialOrd`: fields compare in order.
#[test]
fn bonk_is_partial_ord() {
    let a = Bonk {
        message: ByteStr::from("a"),
        r#type: 9,
    };
    let b = Bonk {
        message: ByteStr::from("b"),
        r#type: 1,
    };
    assert!(a < b);
    assert!(
        Bonk {
            r#type: 2,
            ..a.clone()
        } < Bonk {
            r#type: 3,
            ..a.clone()
        }
    );
    assert_eq!(a.partial_cmp(&a), Some(std::cmp::Ordering::Equal));
}

/// `Xtruct` (a short name) derives `PartialOrd` too.
#[test]
fn xtruct_is_partial_ord() {
    let x = Xtruct {
        i32_thing: 1,
        ..Default::default()
    };
    let y = Xtruct {
        i32_thing: 2,
        ..Default::default()
    };
    assert!(x < y);
}

/// The rules hit only what they name: `Xtruct2`, `Xtruct3` and `Bools` have no `PartialOrd`.
#[test]
fn other_types_are_untouched() {
    fn block<'a>(code: &'a str, item: &str) -> &'a str {
        let at = code.find(item).unwrap_or_else(|| panic!("no `{item}`"));
        let start = code[..at].rfind("}\n").map_or(0, |i| i + 2);
        &code[start..at]
    }
    assert!(block(THRIFT, "pub struct Bonk {").contains("#[derive(PartialOrd)]"));
    assert!(block(THRIFT, "pub struct Xtruct {").contains("#[derive(PartialOrd)]"));
    for other in [
        "pub struct Xtruct2 {",
        "pub struct Xtruct3 {",
        "pub struct Bools {",
    ] {
        assert!(!block(THRIFT, other).contains("PartialOrd"), "{other}");
    }
    assert_eq!(THRIFT.matches("#[derive(PartialOrd)]").count(), 2);
}

/// The field rule (by file stem) documents `Bonk::message` and nothing else.
#[test]
fn field_doc_reaches_its_field() {
    let doc = "/// Set by a field_attribute rule in build.rs.";
    assert_eq!(THRIFT.matches(doc).count(), 1);
    let at = THRIFT.find(doc).unwrap();
    let next = THRIFT[at..].lines().nth(1).unwrap().trim();
    assert_eq!(next, "pub message: ::kit_runtime::ByteStr,");
}

/// The package rule `.google.pubsub.v1` reaches every pubsub type and no other package.
#[test]
fn package_rule_reaches_the_package_only() {
    let alias = "#[doc(alias = \"kit_pubsub\")]";
    let start = PROTO.find("pub mod pubsub {").expect("pubsub module");
    // Everything before the pubsub module (other packages) has no alias.
    assert!(!PROTO[..start].contains(alias));
    let pubsub = &PROTO[start..];
    for item in [
        "pub struct Topic {",
        "pub struct PubsubMessage {",
        "pub struct Subscription {",
    ] {
        let at = pubsub.find(item).unwrap_or_else(|| panic!("no `{item}`"));
        let before = &pubsub[..at];
        let last_item_end = before.rfind("}\n").unwrap_or(0);
        assert!(before[last_item_end..].contains(alias), "{item}");
    }
    let n = pubsub.matches(alias).count();
    assert!(n > 50, "{n} pubsub types with the alias");
    // Types of other packages, wherever they sit in the file, have none.
    for item in [
        "pub struct TestAllTypesProto3 {",
        "pub struct SimpleRequest {",
        "pub struct Empty {",
    ] {
        let at = PROTO.find(item).unwrap_or_else(|| panic!("no `{item}`"));
        let before = &PROTO[..at];
        let last_item_end = before.rfind("}\n").unwrap_or(0);
        assert!(!before[last_item_end..].contains(alias), "{item}");
    }
}
