//! Names users write (arms, outcomes, outputs, IDs): a sane length, and "did you mean ...?"
//! for a name that is not known: the closest known name by edit distance, when it is close
//! enough to be a typo (`Expressor` → `Expresser`, `CYP2C0` → `CYP2C9`).

use crate::error::{Error, Result};

/// Longest name (characters) of an arm, outcome, output or individual: names end up in CSV
/// headers, plot legends and messages.
pub const MAX_NAME_CHARS: usize = 100;

/// Checks a name: not empty, at most [`MAX_NAME_CHARS`] characters, no control characters
/// (a newline in an arm's name would break every CSV row it is written in). `what` says what
/// it names ("arm", "output").
///
/// # Errors
/// [`Error::Inconsistent`] saying which rule the name breaks.
pub fn check(what: &str, name: &str) -> Result<()> {
    let problem = if name.trim().is_empty() {
        "is empty".to_owned()
    } else if name.chars().count() > MAX_NAME_CHARS {
        format!(
            "has {} characters, at most {MAX_NAME_CHARS} are allowed",
            name.chars().count()
        )
    } else if name.chars().any(char::is_control) {
        "holds a control character (a newline, a tab)".to_owned()
    } else {
        return Ok(());
    };
    let shown: String = name.chars().take(40).collect();
    Err(Error::Inconsistent {
        what: format!("{what} name `{}` {problem}", shown.escape_debug()),
    })
}

/// The known name closest to `name` by Levenshtein distance (case-insensitive), if it is within
/// a third of the name's length (at least 2 edits).
pub fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let target: Vec<char> = name.to_lowercase().chars().collect();
    let limit = (target.len() / 3).max(2);
    known
        .into_iter()
        .map(|k| {
            (
                distance(&target, &k.to_lowercase().chars().collect::<Vec<_>>()),
                k,
            )
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// `" (did you mean `X`?)"` when a known name is close, else nothing; then the known names.
pub fn hint<'a>(name: &str, known: impl IntoIterator<Item = &'a str> + Clone) -> String {
    let listed: Vec<&str> = known.clone().into_iter().collect();
    let mut out = match closest(name, known) {
        Some(k) => format!(" (did you mean `{k}`?)"),
        None => String::new(),
    };
    if !listed.is_empty() {
        out.push_str(&format!("; known: {}", listed.join(", ")));
    }
    out
}

/// Levenshtein distance between two character sequences.
fn distance(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_empty_or_multi_line_names_are_refused() {
        assert!(check("arm", "IWPC algorithm").is_ok());
        assert!(check("arm", "").is_err());
        assert!(check("arm", &"x".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert!(check("arm", "two\nlines").is_err());
    }

    #[test]
    fn a_typo_finds_its_name_and_a_stranger_finds_none() {
        let known = ["Expresser", "NonExpresser"];
        assert_eq!(closest("Expressor", known), Some("Expresser"));
        assert_eq!(closest("expresser", known), Some("Expresser"));
        assert_eq!(closest("Poor", known), None);
        assert!(hint("Expressor", known).contains("did you mean `Expresser`"));
    }
}
