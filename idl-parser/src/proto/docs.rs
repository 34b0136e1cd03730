//! Leading comments, found by looking back from a statement's first byte (roughly protoc's
//! rule: the comment block right before the element, with no blank line in between, not a
//! trailing comment of code on the same line).

use crate::ir::Docs;

pub(crate) fn leading(src: &str, start: u32) -> Docs {
    let b = src.as_bytes();
    let start = (start as usize).min(b.len());
    // The statement must begin its line.
    let line_start = src[..start].rfind('\n').map(|i| i + 1).unwrap_or(0);
    if !src[line_start..start].trim().is_empty() {
        return Docs(None);
    }
    if line_start == 0 {
        return Docs(None);
    }
    let mut lines: Vec<&str> = Vec::new();
    let mut end = line_start - 1; // the '\n' ending the previous line
    loop {
        let ls = src[..end].rfind('\n').map(|i| i + 1).unwrap_or(0);
        let line = src[ls..end].trim();
        if let Some(rest) = line.strip_prefix("//") {
            lines.push(rest);
        } else if line.ends_with("*/") && lines.is_empty() {
            // A block comment ending here; find its start.
            let Some(open) = src[..end].rfind("/*") else {
                break;
            };
            let bls = src[..open].rfind('\n').map(|i| i + 1).unwrap_or(0);
            if !src[bls..open].trim().is_empty() {
                break;
            }
            let body = &src[open + 2..end];
            let body = body.trim_end();
            let body = body.strip_suffix("*/").unwrap_or(body);
            let mut out: Vec<&str> = Vec::new();
            for l in body.lines() {
                let t = l.trim_start();
                let t = t.strip_prefix('*').unwrap_or(t);
                out.push(t);
            }
            return finish(out);
        } else {
            break;
        }
        if ls == 0 {
            break;
        }
        end = ls - 1;
    }
    lines.reverse();
    finish(lines)
}

fn finish(lines: Vec<&str>) -> Docs {
    let first = lines.iter().position(|l| !l.trim().is_empty());
    let last = lines.iter().rposition(|l| !l.trim().is_empty());
    let (Some(first), Some(last)) = (first, last) else {
        return Docs(None);
    };
    let lines = &lines[first..=last];
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut s = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
    for (i, l) in lines.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        s.push_str(l.get(indent..).unwrap_or("").trim_end());
    }
    Docs(Some(s))
}
