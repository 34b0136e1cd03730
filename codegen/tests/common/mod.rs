//! What the codegen tests share: generating from one Thrift file held in memory.

use kit_idl::{compile, MemLoader, Options};

/// Generates `t.thrift` (which must be valid IDL) with `options`: the generated files'
/// contents, or the rendered codegen diagnostics.
pub fn generate(src: &str, options: &kit_codegen::Options) -> Result<String, String> {
    let loader = MemLoader::new().add("t.thrift", src);
    let c = compile(&["t.thrift".into()], &Options::default(), &loader);
    assert!(!c.has_errors(), "{}", c.render_diagnostics(false));
    match kit_codegen::generate(&c.ir, options) {
        Ok(files) => Ok(files.into_iter().map(|f| f.contents).collect()),
        Err(d) => Err(kit_idl::diag::render(&d, &c.sources, false)),
    }
}

/// The codegen errors for `src` with default options ("" when it generates).
#[allow(dead_code)]
pub fn gen_errors(src: &str) -> String {
    generate(src, &Default::default()).err().unwrap_or_default()
}
