use crate::error::{FieldError, UserErrorCode};

pub const MAX_SLUG_CHARS: usize = 64;

/// A URL-safe handle: lower-case letters, digits and inner hyphens, 2–64 characters.
pub fn parse(raw: &str, field: &str) -> Result<String, FieldError> {
    let slug = raw.trim();
    if slug.is_empty() {
        return Err(FieldError::new(field, UserErrorCode::Required, "slug is required"));
    }
    let valid = (2..=MAX_SLUG_CHARS).contains(&slug.len())
        && slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--");
    if !valid {
        return Err(FieldError::new(
            field,
            UserErrorCode::Invalid,
            format!("use 2–{MAX_SLUG_CHARS} lower-case letters, digits and single inner hyphens"),
        ));
    }
    Ok(slug.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lower_case_words_joined_by_hyphens() {
        assert_eq!(parse("royal-college-of-physicians", "s").unwrap(), "royal-college-of-physicians");
        for bad in ["", "a", "Upper", "-lead", "trail-", "dou--ble", "sp ace", "ünï", &"a".repeat(65)] {
            assert!(parse(bad, "s").is_err(), "{bad}");
        }
    }
}
