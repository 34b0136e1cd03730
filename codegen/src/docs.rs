//! IDL comments as rustdoc. IDL authors write code samples in other languages (IDL, YAML, shell);
//! rustdoc would compile them as Rust doctests. Indented code blocks and fences without a
//! language become ```` ```text ```` blocks, so `cargo test` never runs them.

use crate::tokens::quote;
use crate::tokens::Tokens;

use kit_idl::ir::Docs;

/// `#[doc = "..."]` attributes for a comment.
pub fn attrs(d: &Docs) -> Tokens {
    match &d.0 {
        Some(text) => {
            let lines = sanitize(text);
            // IDL authors' markdown lists rarely follow rustdoc's indentation rules.
            let allow = if lines.iter().any(|l| is_list_item(l)) {
                quote!(#[allow(clippy::doc_lazy_continuation, clippy::doc_overindented_list_items)])
            } else {
                quote!()
            };
            // ` text` as `/// text`; a blank line as a bare `///` (no trailing space).
            let lines = lines.into_iter().map(|l| {
                if l.trim().is_empty() {
                    String::new()
                } else {
                    format!(" {l}")
                }
            });
            quote!(#(#[doc = #lines])* #allow)
        }
        None => quote!(),
    }
}

fn is_list_item(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("- ")
        || t.starts_with("* ")
        || t.starts_with("+ ")
        || t.split_once(['.', ')']).is_some_and(|(n, _)| {
            !n.is_empty() && n.len() < 4 && n.bytes().all(|b| b.is_ascii_digit())
        })
}

/// Rewrites code blocks so rustdoc treats them as text.
pub fn sanitize(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut in_fence = false;
    let mut in_indented = false;
    let mut prev_blank = true;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if in_fence {
            if trimmed.starts_with("```") {
                in_fence = false;
            }
            out.push(line.to_string());
            prev_blank = false;
            continue;
        }
        if let Some(lang) = trimmed.strip_prefix("```") {
            if in_indented {
                out.push("```".to_string());
                in_indented = false;
            }
            in_fence = true;
            // Even a fence marked `rust` holds code written for another crate: never run it.
            let _ = lang;
            out.push(format!("{}```text", &line[..line.len() - trimmed.len()]));
            prev_blank = false;
            continue;
        }
        let indented = line.starts_with("    ") || line.starts_with('\t');
        let blank = trimmed.is_empty();
        if in_indented {
            if indented || blank {
                out.push(line.to_string());
                continue;
            }
            // Close before the trailing blank lines, if any.
            let trailing = out.iter().rev().take_while(|l| l.trim().is_empty()).count();
            let at = out.len() - trailing;
            out.insert(at, "```".to_string());
            in_indented = false;
        } else if indented && prev_blank && !blank {
            out.push("```text".to_string());
            in_indented = true;
            out.push(line.to_string());
            prev_blank = false;
            continue;
        }
        out.push(line.to_string());
        prev_blank = blank;
    }
    if in_indented {
        let trailing = out.iter().rev().take_while(|l| l.trim().is_empty()).count();
        let at = out.len() - trailing;
        out.insert(at, "```".to_string());
    }
    if in_fence {
        out.push("```".to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn indented_blocks_become_text() {
        let s =
            sanitize("Example:\n\n    service X {\n      rpc A(B) returns (C);\n    }\n\nAfter.");
        assert_eq!(
            s,
            [
                "Example:",
                "",
                "```text",
                "    service X {",
                "      rpc A(B) returns (C);",
                "    }",
                "```",
                "",
                "After."
            ]
        );
    }

    #[test]
    fn fences_become_text_and_are_closed() {
        assert_eq!(sanitize("```\nx\n```"), ["```text", "x", "```"]);
        assert_eq!(sanitize("```yaml\nx: 1"), ["```text", "x: 1", "```"]);
        assert_eq!(
            sanitize("a\n    b"),
            ["a", "    b"],
            "indented continuation, not a block"
        );
    }
}
