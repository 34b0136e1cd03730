//! Any bytes as a Thrift file and as a Protobuf file (plus a second file they may include):
//! `compile` must return diagnostics or an IR, never panic, hang or overflow the stack.
#![no_main]

use kit_idl::{compile, MemLoader, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Split the input into a main file and an included one at the first NUL.
    let (main, inc) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let main = String::from_utf8_lossy(main);
    let inc = String::from_utf8_lossy(inc);
    for ext in ["thrift", "proto"] {
        let loader = MemLoader::new()
            .add(format!("fuzz/main.{ext}"), main.as_ref())
            .add(format!("fuzz/inc.{ext}"), inc.as_ref());
        let c = compile(&[format!("fuzz/main.{ext}").into()], &Options::default(), &loader);
        // Rendering walks every span: it must not panic either.
        let _ = c.render_diagnostics(false);
    }
});
