//! Free-text input rules shared by every form and filter: trimmed, bounded, and free of control
//! characters (PostgreSQL cannot store a NUL byte; letting one through is a 500, not a user error).

use crate::error::{FieldError, UserErrorCode};

pub fn required(raw: &str, field: &str, max_chars: usize) -> Result<String, FieldError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(field, UserErrorCode::Required, "must not be blank"));
    }
    bounded(trimmed, field, max_chars)
}

/// `None` for absent or blank input.
pub fn optional(raw: Option<&str>, field: &str, max_chars: usize) -> Result<Option<String>, FieldError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) => bounded(value, field, max_chars).map(Some),
    }
}

/// Long text kept as written (Markdown bodies): may be empty; line breaks and tabs allowed.
pub fn verbatim(raw: &str, field: &str, max_chars: usize) -> Result<String, FieldError> {
    bounded(raw, field, max_chars)
}

/// A search term for a case-insensitive `LIKE '%term%'`: `None` when absent or blank, the
/// escaped pattern otherwise (`%`, `_` and `\` match themselves; escape character `\`).
pub fn contains_pattern(
    raw: Option<&str>,
    field: &str,
    max_chars: usize,
) -> Result<Option<String>, FieldError> {
    let term = optional(raw, field, max_chars)?;
    Ok(term.map(|t| {
        format!("%{}%", t.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))
    }))
}

/// Dates outside this range are refused: chrono parses years PostgreSQL cannot store (a 500),
/// and nothing in a QI programme is dated before 1900 or after 2199.
pub fn date(value: chrono::NaiveDate, field: &str) -> Result<chrono::NaiveDate, FieldError> {
    use chrono::Datelike;
    if (1900..=2199).contains(&value.year()) {
        Ok(value)
    } else {
        Err(FieldError::new(field, UserErrorCode::Invalid, "must be a date between 1900 and 2199"))
    }
}

/// As `date`, for an optional one.
pub fn optional_date(
    value: Option<chrono::NaiveDate>,
    field: &str,
) -> Result<Option<chrono::NaiveDate>, FieldError> {
    value.map(|v| date(v, field)).transpose()
}

fn bounded(value: &str, field: &str, max_chars: usize) -> Result<String, FieldError> {
    if value.chars().count() > max_chars {
        return Err(FieldError::new(
            field,
            UserErrorCode::Invalid,
            format!("must be at most {max_chars} characters"),
        ));
    }
    if value.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r')) {
        return Err(FieldError::new(field, UserErrorCode::Invalid, "must not contain control characters"));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_huge_and_control_text_is_refused() {
        assert!(required("  ", "f", 10).is_err());
        assert!(required(&"x".repeat(11), "f", 10).is_err());
        assert!(required("a\u{0}b", "f", 10).is_err());
        assert_eq!(required("  ok ", "f", 10).unwrap(), "ok");
        assert_eq!(optional(Some(" "), "f", 10).unwrap(), None);
        assert!(verbatim("a\u{0}b", "f", 10).is_err());
        assert_eq!(verbatim("", "f", 10).unwrap(), "");
    }

    #[test]
    fn dates_outside_1900_to_2199_are_refused() {
        let day = |y| chrono::NaiveDate::from_ymd_opt(y, 1, 1).unwrap();
        assert!(date(day(-9000), "d").is_err());
        assert!(date(day(1899), "d").is_err());
        assert!(date(day(2200), "d").is_err());
        assert!(date(day(2026), "d").is_ok());
    }

    #[test]
    fn search_terms_become_literal_patterns() {
        assert_eq!(
            contains_pattern(Some(" 50%_Sepsis\\ "), "f", 20).unwrap().unwrap(),
            "%50\\%\\_sepsis\\\\%"
        );
        assert_eq!(contains_pattern(Some("  "), "f", 20).unwrap(), None);
        assert!(contains_pattern(Some("a\u{0}"), "f", 20).is_err());
    }
}
