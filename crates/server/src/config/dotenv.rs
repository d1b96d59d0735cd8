//! OpenVidu's `.env` configuration file format.
//!
//! `KEY=VALUE` lines, `#` comment lines and blank lines. Values are taken
//! verbatim after the first `=` (a `#` inside a value is part of it, because
//! secrets and URLs may contain one); a value wrapped in matching single or
//! double quotes is unwrapped. The parsed document keeps every line, so a
//! restart can rewrite values while keeping the operator's comments and order.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Entry {
        key: String,
        value: String,
    },
    /// A comment or blank line, kept as written.
    Other(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    pub lines: Vec<Line>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("line {line}: {problem}")]
pub struct SyntaxError {
    pub line: usize,
    pub problem: String,
}

impl Document {
    pub fn parse(text: &str) -> Result<Self, SyntaxError> {
        let mut lines = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                lines.push(Line::Other(raw.to_string()));
                continue;
            }
            let body = trimmed.strip_prefix("export ").unwrap_or(trimmed);
            let (key, value) = body.split_once('=').ok_or_else(|| SyntaxError {
                line: index + 1,
                problem: format!("expected KEY=VALUE, found '{trimmed}'"),
            })?;
            let key = key.trim();
            if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.') {
                return Err(SyntaxError { line: index + 1, problem: format!("'{key}' is not a property name") });
            }
            lines.push(Line::Entry { key: key.to_string(), value: unquote(value.trim()).to_string() });
        }
        Ok(Self { lines })
    }

    /// The entries in file order; a key given twice keeps its last value when applied in order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.lines.iter().filter_map(|line| match line {
            Line::Entry { key, value } => Some((key.as_str(), value.as_str())),
            Line::Other(_) => None,
        })
    }

    /// Sets `key` in place (its last occurrence), or appends it at the end.
    pub fn set(&mut self, key: &str, new_value: &str) {
        let existing = self.lines.iter_mut().rev().find_map(|line| match line {
            Line::Entry { key: k, value } if k == key => Some(value),
            _ => None,
        });
        match existing {
            Some(value) => *value = new_value.to_string(),
            None => self.lines.push(Line::Entry { key: key.to_string(), value: new_value.to_string() }),
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            match line {
                Line::Entry { key, value } => {
                    out.push_str(key);
                    out.push('=');
                    out.push_str(value);
                }
                Line::Other(raw) => out.push_str(raw),
            }
            out.push('\n');
        }
        out
    }
}

fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            return &value[1..value.len() - 1];
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_entries_comments_and_quotes() {
        let doc = Document::parse("# comment\n\nOPENVIDU_SECRET=abc#1\nKMS_URIS=[\"ws://a:8888/kurento\"]\nX='q v'\n")
            .unwrap();
        let entries: Vec<_> = doc.entries().collect();
        assert_eq!(
            entries,
            vec![("OPENVIDU_SECRET", "abc#1"), ("KMS_URIS", "[\"ws://a:8888/kurento\"]"), ("X", "q v")]
        );
    }

    #[test]
    fn reports_the_line_of_a_syntax_error() {
        let err = Document::parse("A=1\nnot a property\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(Document::parse("BAD KEY=1").unwrap_err().problem.contains("not a property name"));
    }

    #[test]
    fn set_rewrites_in_place_and_keeps_comments() {
        let mut doc = Document::parse("# keep me\nA=1\nB=2\n").unwrap();
        doc.set("A", "9");
        doc.set("C", "3");
        assert_eq!(doc.render(), "# keep me\nA=9\nB=2\nC=3\n");
    }
}
