//! Snapshots of the rendered diagnostics for small invalid inputs in
//! `tests/fixtures/proto/bad/`.

use std::path::Path;

use kit_idl::{compile, Options, OsLoader};

fn render(case: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/proto/bad");
    let c = compile(
        &[dir.join(case)],
        &Options {
            include_dirs: vec![dir.clone()],
        },
        &OsLoader,
    );
    assert!(c.has_errors(), "{case} was accepted");
    c.render_diagnostics(false)
}

macro_rules! snap {
    ($name:ident, $file:literal) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(concat!("proto_", stringify!($name)), render($file));
        }
    };
}

snap!(unknown_type, "unknown_type.proto");
snap!(duplicate_field_number, "duplicate_field_number.proto");
snap!(reserved_number, "reserved_number.proto");
snap!(field_number_19000, "field_number_19000.proto");
snap!(map_float_key, "map_float_key.proto");
snap!(required_proto3, "required_proto3.proto");
snap!(enum_first_not_zero, "enum_first_not_zero.proto");
snap!(enum_alias, "enum_alias.proto");
snap!(syntax_error, "syntax_error.proto");
snap!(import_cycle, "cycle_a.proto");
snap!(missing_import, "missing_import.proto");
snap!(duplicate_names, "duplicate_names.proto");
snap!(overlapping_ranges, "overlapping_ranges.proto");
snap!(unmatched_brace, "unmatched_brace.proto");
snap!(invalid_options, "invalid_options.proto");
snap!(multiple_syntax_errors, "multiple_syntax_errors.proto");
