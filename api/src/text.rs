//! Free-text input rules shared by every form: trimmed, not blank, bounded.

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

fn bounded(value: &str, field: &str, max_chars: usize) -> Result<String, FieldError> {
    if value.chars().count() > max_chars {
        return Err(FieldError::new(
            field,
            UserErrorCode::Invalid,
            format!("must be at most {max_chars} characters"),
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
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
    }
}
