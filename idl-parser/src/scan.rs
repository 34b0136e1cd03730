//! One lexical pass over raw IDL text, shared by everything that looks at text outside the
//! grammar (the nesting limit, doc-comment collection, error messages). It skips string literals
//! and reports comments, so no caller mistakes a `{` in a string or comment for code.

/// What the scan sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Piece {
    /// A byte outside strings and comments, at this offset.
    Code(usize, u8),
    /// A comment `[start, end)`; `doc` for a `/** ... */` comment.
    Comment { start: usize, end: usize, doc: bool },
}

/// Walks `src`, calling `f` for every code byte and every comment (`#` comments only when
/// `hash_comments`, as in Thrift). `f` returns `false` to stop.
pub(crate) fn scan(src: &str, hash_comments: bool, mut f: impl FnMut(Piece) -> bool) {
    let b = src.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' | b'\'' => {
                let q = b[i];
                i += 1;
                while i < b.len() && b[i] != q && b[i] != b'\n' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            c if (c == b'#' && hash_comments) || (c == b'/' && b.get(i + 1) == Some(&b'/')) => {
                let start = i;
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                if !f(Piece::Comment {
                    start,
                    end: i,
                    doc: false,
                }) {
                    return;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let start = i;
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i = (i + 2).min(b.len());
                let doc = i - start >= 5 && b.get(start + 2) == Some(&b'*');
                if !f(Piece::Comment { start, end: i, doc }) {
                    return;
                }
            }
            c => {
                if !f(Piece::Code(i, c)) {
                    return;
                }
                i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(src: &str, hash: bool) -> String {
        let mut out = String::new();
        scan(src, hash, |p| {
            if let Piece::Code(_, c) = p {
                out.push(c as char);
            }
            true
        });
        out
    }

    #[test]
    fn strings_and_comments_are_not_code() {
        assert_eq!(code("a\"{\\\"}\"b // {\nc /* { */d", false), "ab \nc d");
        assert_eq!(code("x # {\ny", true), "x \ny");
        assert_eq!(code("x # {\ny", false), "x # {\ny");
        assert_eq!(code("'unterminated", false), "");
    }

    #[test]
    fn comments_are_reported_with_doc_flag() {
        let mut seen = Vec::new();
        scan("/** doc */ /* plain */ // line\n/**/", false, |p| {
            if let Piece::Comment { start, end, doc } = p {
                seen.push((start, end, doc));
            }
            true
        });
        assert_eq!(
            seen,
            [
                (0, 10, true),
                (11, 22, false),
                (23, 30, false),
                (31, 35, false)
            ]
        );
    }
}
