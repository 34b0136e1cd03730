//! `quote!` for codegen: the tokens come back wrapped in one invisible group.
//!
//! Codegen builds each item from many small token streams (a field's type, a path, an
//! `encoded_len` statement) interpolated into bigger ones with `#x`. `quote` interpolates a
//! `TokenStream` by reference, and proc_macro2 then copies every token of it (an identifier
//! copy is an allocation), level after level: about a tenth of `kit gen`'s time went to those
//! copies and to freeing them. A stream that is one `Delimiter::None` group is copied as one
//! reference-counted token instead. The printer (`print.rs`) prints an invisible group as its
//! contents, so the printed code is the same token for token.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};

/// [`quote::quote!`], wrapped by [`wrap`]: interpolating the result elsewhere is cheap.
macro_rules! quote {
    // One identifier (`quote!(i32)`, `quote!(Debug)`): copying it is as cheap as copying a
    // group, so it is not wrapped.
    ($one:ident) => {
        ::quote::quote!($one)
    };
    ($($tt:tt)*) => {
        $crate::tokens::wrap(::quote::quote!($($tt)*))
    };
}
pub(crate) use quote;

/// `tokens` as one invisible group (an empty stream stays empty, so `is_empty` still tells).
pub(crate) fn wrap(tokens: TokenStream) -> TokenStream {
    if tokens.is_empty() {
        return tokens;
    }
    TokenStream::from(TokenTree::Group(Group::new(Delimiter::None, tokens)))
}

/// `tokens` without invisible groups (their contents in their place), as the printer sees them.
#[cfg(test)]
pub(crate) fn flatten(tokens: TokenStream) -> TokenStream {
    let mut out = TokenStream::new();
    for tt in tokens {
        match tt {
            TokenTree::Group(g) if g.delimiter() == Delimiter::None => {
                out.extend(flatten(g.stream()))
            }
            TokenTree::Group(g) => {
                let mut inner = Group::new(g.delimiter(), flatten(g.stream()));
                inner.set_span(g.span());
                out.extend([TokenTree::Group(inner)]);
            }
            tt => out.extend([tt]),
        }
    }
    out
}
