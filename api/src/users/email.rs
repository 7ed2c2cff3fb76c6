//! Email addresses, compared case-insensitively: stored lower-cased.

use crate::error::{FieldError, UserErrorCode};

pub const MAX_EMAIL_CHARS: usize = 254;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new(field, UserErrorCode::Required, "email is required"));
        }
        // Measured after lower-casing, which can lengthen text ('İ' becomes two characters): the
        // stored form is what must fit the column.
        if trimmed.to_lowercase().chars().count() > MAX_EMAIL_CHARS {
            return Err(FieldError::new(
                field,
                UserErrorCode::Invalid,
                format!("email must be at most {MAX_EMAIL_CHARS} characters"),
            ));
        }
        let invalid = || FieldError::new(field, UserErrorCode::Invalid, "not a valid email address");
        if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = trimmed.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(trimmed.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(Email::parse("  Ada@Example.ORG ", "e").unwrap().as_str(), "ada@example.org");
    }

    #[test]
    fn an_email_that_grows_when_lower_cased_is_measured_as_stored() {
        let growing = format!("{}@example.org", "\u{130}".repeat(130));
        assert!(growing.chars().count() <= MAX_EMAIL_CHARS);
        assert!(Email::parse(&growing, "e").is_err());
    }

    #[test]
    fn malformed_emails_are_refused() {
        let long = format!("{}@example.org", "a".repeat(250));
        for bad in ["", "   ", "plain", "@example.org", "a@", "a@b", "a@.b.c", "a b@c.org", "a@b..org", &long]
        {
            assert!(Email::parse(bad, "e").is_err(), "{bad:?}");
        }
    }
}
