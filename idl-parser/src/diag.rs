//! Diagnostics: every problem found in IDL, with where it is and what to do about it.
//!
//! Phases push into a [`Diagnostics`] and keep going, so one run reports every error it can
//! find. Rendering (rustc/codespan style) is pure: it returns a `String`, and the caller
//! decides whether it wants colour.

use codespan_reporting::diagnostic as cs;
use codespan_reporting::term;

use crate::source::{SourceMap, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    /// Where the problem is. `None` only for problems with no place in a file (a missing
    /// input file named on the command line).
    pub primary: Option<Label>,
    /// Related places, such as the earlier definition of a duplicate.
    pub secondary: Vec<Label>,
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Error, Some(span), message)
    }
    pub fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Warning, Some(span), message)
    }
    /// An error that belongs to no place in a file.
    pub fn error_nowhere(message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Error, None, message)
    }
    fn new(severity: Severity, span: Option<Span>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity,
            message: message.into(),
            primary: span.map(|span| Label {
                span,
                message: String::new(),
            }),
            secondary: Vec::new(),
            notes: Vec::new(),
        }
    }
    /// Text under the caret of the primary place.
    pub fn with_label(mut self, message: impl Into<String>) -> Diagnostic {
        if let Some(p) = &mut self.primary {
            p.message = message.into();
        }
        self
    }
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }
    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:col` (1-based) of the primary place, for tests and one-line output.
    pub fn location(&self, sources: &SourceMap) -> Option<(String, usize, usize)> {
        let p = self.primary.as_ref()?;
        let f = sources.get(p.span.file);
        let (line, col) = f.line_col(p.span.start as usize);
        Some((f.name.clone(), line + 1, col + 1))
    }

    fn to_codespan(&self) -> cs::Diagnostic<crate::source::FileId> {
        let mut d = match self.severity {
            Severity::Error => cs::Diagnostic::error(),
            Severity::Warning => cs::Diagnostic::warning(),
        }
        .with_message(&self.message);
        let mut labels = Vec::new();
        if let Some(p) = &self.primary {
            labels.push(cs::Label::primary(p.span.file, p.span.range()).with_message(&p.message));
        }
        for s in &self.secondary {
            labels.push(cs::Label::secondary(s.span.file, s.span.range()).with_message(&s.message));
        }
        d = d.with_labels(labels);
        d.with_notes(self.notes.clone())
    }
}

/// An accumulating list of diagnostics.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }
    pub fn error(&mut self, span: Span, message: impl Into<String>) {
        self.push(Diagnostic::error(span, message));
    }
    pub fn warning(&mut self, span: Span, message: impl Into<String>) {
        self.push(Diagnostic::warning(span, message));
    }
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }
    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }
    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }
    /// Sorts by file, then position, keeping the order of diagnostics at the same place, so
    /// output does not depend on the order in which phases ran.
    pub fn sort(&mut self) {
        self.items.sort_by_key(|d| {
            d.primary
                .as_ref()
                .map(|p| (1u8, p.span.file.0, p.span.start))
                .unwrap_or((0, 0, 0))
        });
    }
}

/// Renders diagnostics like rustc: `error: message`, `--> file:line:col`, the source line with a
/// caret, secondary labels and notes. With `color`, ANSI escapes are included.
pub fn render(diags: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let config = term::Config::default();
    if color {
        let mut buf = term::termcolor::Buffer::ansi();
        for d in diags {
            let _ = term::emit_to_write_style(&mut buf, &config, sources, &d.to_codespan());
        }
        String::from_utf8_lossy(buf.as_slice()).into_owned()
    } else {
        let mut out = String::new();
        for d in diags {
            let _ = term::emit_to_string(&mut out, &config, sources, &d.to_codespan());
        }
        out
    }
}
