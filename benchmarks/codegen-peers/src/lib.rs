//! Shared argument parsing for the `pilota-gen` and `prost-gen` binaries: both take
//! `[-I DIR]... -o OUT FILE...` like `kit gen`, so the harness can run all three on the same list.

use std::path::PathBuf;

/// `[-I DIR]... -o OUT [--] FILE...`; `@LIST` reads file names, one a line, from LIST (the
/// harness's 200-file lists stay off the command line).
pub struct Args {
    pub includes: Vec<PathBuf>,
    pub out: PathBuf,
    pub files: Vec<PathBuf>,
}

pub fn parse(usage: &str) -> Result<Args, String> {
    parse_from(1, usage)
}

/// Like [`parse`], skipping the first `skip` arguments (the program name counts).
pub fn parse_from(skip: usize, usage: &str) -> Result<Args, String> {
    let mut it = std::env::args_os().skip(skip);
    let (mut includes, mut out, mut files) = (Vec::new(), None, Vec::new());
    while let Some(a) = it.next() {
        let s = a.to_string_lossy().into_owned();
        match s.as_str() {
            "-I" => includes.push(PathBuf::from(it.next().ok_or(usage)?)),
            "-o" => out = Some(PathBuf::from(it.next().ok_or(usage)?)),
            "-h" | "--help" => return Err(usage.to_string()),
            _ if s.starts_with('@') => {
                let list = std::fs::read_to_string(&s[1..]).map_err(|e| format!("{s}: {e}"))?;
                files.extend(list.lines().filter(|l| !l.is_empty()).map(PathBuf::from));
            }
            _ => files.push(PathBuf::from(a)),
        }
    }
    let out = out.ok_or(usage)?;
    if files.is_empty() {
        return Err(usage.to_string());
    }
    Ok(Args {
        includes,
        out,
        files,
    })
}
