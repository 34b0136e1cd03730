//! `kit-codegen`: IR → Rust.
//!
//! Depends on the IR of `kit-idl` only. Rust is built as tokens with `quote!`, formatted with
//! `prettyplease`, and written with [`write`]: atomically, only on change. Output is
//! byte-for-byte deterministic.

pub mod ident;
pub mod layout;
pub mod write;
