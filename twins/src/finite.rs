//! Numbers in RON text that are not finite: `NaN`, `inf`, `-inf`, or a literal too large for an
//! `f64` (`1e400`). RON reads them all as numbers, so every numeric field of a model, population
//! or scenario file would take them; this scan finds the first one with its line, column and
//! field before the file is used.

use std::path::Path;

use crate::error::{Error, Position, Result};

/// The first number of `text` that is not finite, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonFinite {
    /// Where it is.
    pub position: Position,
    /// The token as written (`NaN`, `-inf`, `1e400`).
    pub token: String,
    /// The field it is the value of, when one precedes it (`mg`, `"CL"`).
    pub field: Option<String>,
}

/// The first number of RON `text` that is not finite, skipping strings and comments.
pub fn find_non_finite(text: &str) -> Option<NonFinite> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'"' => i = skip_string(bytes, i),
            b'\'' => i = skip_char(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => i = skip_block_comment(bytes, i),
            b'r' if is_raw_string(bytes, i) => i = skip_raw_string(bytes, i),
            _ if starts_token(bytes, i) => {
                let start = i;
                i += 1;
                while i < bytes.len() && is_token_byte(bytes[i]) {
                    i += 1;
                }
                let token = &text[start..i];
                if !is_finite_token(token) {
                    return Some(NonFinite {
                        position: position_of(text, start),
                        token: token.to_owned(),
                        field: field_before(&text[..start]),
                    });
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// Checks RON `text` for numbers that are not finite; `path` names the file in the error.
///
/// # Errors
/// [`Error::InvalidValue`] in [`Error::InFile`] at the number's line and column.
pub fn check(text: &str, path: &Path) -> Result<()> {
    match find_non_finite(text) {
        None => Ok(()),
        Some(found) => Err(Error::InvalidValue {
            name: match &found.field {
                Some(f) => format!("{f} (written `{}`)", found.token),
                None => format!("the number written `{}`", found.token),
            },
            value: parse_value(&found.token),
            expected: "a finite number",
        }
        .in_file(path, Some(found.position))),
    }
}

fn parse_value(token: &str) -> f64 {
    let unsigned = token.trim_start_matches(['+', '-']);
    let negative = token.starts_with('-');
    let v = match unsigned {
        "NaN" => f64::NAN,
        "inf" | "infinity" => f64::INFINITY,
        other => other.replace('_', "").parse().unwrap_or(f64::NAN),
    };
    if negative { -v } else { v }
}

/// A word or number starts here (not in the middle of one).
fn starts_token(bytes: &[u8], i: usize) -> bool {
    let b = bytes[i];
    let after_boundary = i == 0 || !is_token_byte(bytes[i - 1]);
    if !after_boundary {
        return false;
    }
    b.is_ascii_alphanumeric()
        || b == b'_'
        || b == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
        || (b == b'-' || b == b'+')
            && bytes
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_alphanumeric() || *n == b'.')
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
        // A sign inside a number's exponent (1e-5).
        || b == b'-' || b == b'+'
}

/// Whether a word or number token is a finite number or no number at all.
fn is_finite_token(token: &str) -> bool {
    let unsigned = token.trim_start_matches(['+', '-']);
    if matches!(unsigned, "NaN" | "inf" | "infinity") {
        return false;
    }
    let numeric = unsigned
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'.');
    if !numeric
        || unsigned.starts_with("0x")
        || unsigned.starts_with("0b")
        || unsigned.starts_with("0o")
    {
        return true;
    }
    unsigned
        .replace('_', "")
        .parse::<f64>()
        .map_or(true, f64::is_finite)
}

fn skip_string(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

fn skip_char(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'\'' => return i + 1,
            b'\n' => return i,
            _ => i += 1,
        }
    }
    i
}

fn skip_block_comment(bytes: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut i = start;
    while i + 1 < bytes.len() {
        if bytes[i] == b'/' && bytes[i + 1] == b'*' {
            depth += 1;
            i += 2;
        } else if bytes[i] == b'*' && bytes[i + 1] == b'/' {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    bytes.len()
}

fn is_raw_string(bytes: &[u8], i: usize) -> bool {
    if i > 0 && is_token_byte(bytes[i - 1]) {
        return false;
    }
    let mut j = i + 1;
    while bytes.get(j) == Some(&b'#') {
        j += 1;
    }
    j > i + 1 && bytes.get(j) == Some(&b'"') || bytes.get(i + 1) == Some(&b'"')
}

fn skip_raw_string(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    let mut hashes = 0;
    while bytes.get(i) == Some(&b'#') {
        hashes += 1;
        i += 1;
    }
    i += 1; // the opening quote
    while i < bytes.len() {
        if bytes[i] == b'"'
            && bytes[i + 1..].iter().take(hashes).all(|b| *b == b'#')
            && bytes.len() >= i + 1 + hashes
        {
            return i + 1 + hashes;
        }
        i += 1;
    }
    i
}

fn position_of(text: &str, at: usize) -> Position {
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Position {
        line,
        column: text[line_start..at].chars().count() + 1,
    }
}

/// The field name before the value that starts at the end of `before`: `name:` or `"key":`.
fn field_before(before: &str) -> Option<String> {
    let colon = before.rfind(':')?;
    let head = before[..colon].trim_end();
    if let Some(stripped) = head.strip_suffix('"') {
        let open = stripped.rfind('"')?;
        return Some(format!("\"{}\"", &stripped[open + 1..]));
    }
    let start = head
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let name = &head[start..];
    (!name.is_empty()).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_infinity_and_overflow_are_found_with_their_field_and_position() {
        let found = find_non_finite("(\n  mg: NaN,\n)").expect("NaN");
        assert_eq!(found.position, Position { line: 2, column: 7 });
        assert_eq!(found.field.as_deref(), Some("mg"));
        let found = find_non_finite(r#"{"CL": (value: -inf, unit: "L/h")}"#).expect("-inf");
        assert_eq!(found.token, "-inf");
        assert_eq!(found.field.as_deref(), Some("value"));
        let found = find_non_finite("(x: 1e400)").expect("overflow");
        assert_eq!(found.token, "1e400");
        let found = find_non_finite(r#"{"V": inf}"#).expect("inf");
        assert_eq!(found.field.as_deref(), Some("\"V\""));
    }

    #[test]
    fn finite_numbers_words_strings_and_comments_pass() {
        let text = r#"(
            // NaN in a comment, inf /* and here */
            name: "NaN inf 1e400",
            info: Linear(slope: -0.0091, reference: 71.0, big: 1e300, n: 1_000, h: 0x1F),
            label: 'i',
        )"#;
        assert_eq!(find_non_finite(text), None);
    }
}
