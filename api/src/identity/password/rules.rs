//! What a new password must be, after NIST SP 800-63B (revision 4, 3.1.1.2): long enough, not
//! too long to hash, and not one an attacker tries first. No composition rules (a digit, a
//! capital, a symbol): they make passwords harder to remember without making them harder to
//! guess. The length counts characters, not bytes, so any script counts the same.

use std::sync::LazyLock;

use super::Password;
use crate::error::{FieldError, UserErrorCode};

/// NIST's floor when a password is one of two factors; a deployment may not go below it.
pub const LEAST_MIN_CHARS: usize = 8;
/// NIST's minimum where the password is the only factor, and the default here.
pub const DEFAULT_MIN_CHARS: usize = 15;
/// Hashing is bounded by this (and NIST asks that at least 64 be allowed).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Common and breached passwords, lower-cased and sorted; see the file's header for sources.
static COMMON: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut list: Vec<&str> = include_str!("common-passwords.txt")
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    list.sort_unstable();
    list
});

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordRules {
    min_chars: usize,
}

impl Default for PasswordRules {
    fn default() -> Self {
        Self { min_chars: DEFAULT_MIN_CHARS }
    }
}

impl PasswordRules {
    /// `min_chars` is raised to NIST's floor of 8 and capped below the maximum.
    pub fn with_min_chars(min_chars: usize) -> Self {
        Self { min_chars: min_chars.clamp(LEAST_MIN_CHARS, MAX_PASSWORD_CHARS) }
    }

    pub fn min_chars(&self) -> usize {
        self.min_chars
    }

    /// Accepts `raw` as a new password for the account described by `context` (its email and
    /// name: a password built from them is among the first an attacker tries).
    pub fn check(&self, raw: &str, field: &str, context: &[&str]) -> Result<Password, FieldError> {
        let invalid = |code, message: String| Err(FieldError::new(field, code, message));
        let chars = raw.chars().count();
        if chars < self.min_chars {
            return invalid(
                UserErrorCode::Invalid,
                format!("must be at least {} characters", self.min_chars),
            );
        }
        if chars > MAX_PASSWORD_CHARS {
            return invalid(
                UserErrorCode::Invalid,
                format!("must be at most {MAX_PASSWORD_CHARS} characters"),
            );
        }
        let folded = raw.to_lowercase();
        if is_common(&folded) {
            return invalid(
                UserErrorCode::WeakPassword,
                "is on a list of common or breached passwords; choose another".into(),
            );
        }
        if is_repetitive_or_sequential(&folded) {
            return invalid(
                UserErrorCode::WeakPassword,
                "only repeats or counts through characters; choose another".into(),
            );
        }
        if built_from(&folded, context) {
            return invalid(
                UserErrorCode::WeakPassword,
                "is built from the account's email, name or the service's name; choose another".into(),
            );
        }
        Ok(Password(raw.to_owned()))
    }
}

fn is_common(folded: &str) -> bool {
    let trimmed = folded.trim();
    COMMON.binary_search(&trimmed).is_ok() || common_with_counter(trimmed)
}

/// `password1234567`, `dragon2024!!!!!`: a listed password padded with digits or symbols only.
fn common_with_counter(folded: &str) -> bool {
    let stem = folded.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
    stem.len() >= LEAST_MIN_CHARS && stem.len() < folded.len() && COMMON.binary_search(&stem).is_ok()
}

/// One short unit repeated (`aaaaaaaaaaaaaaa`, `abcabcabcabcabc`), or a run that steps by one
/// (`123456789012345` counts as a run of digits wrapping, `abcdefghijklmno`).
fn is_repetitive_or_sequential(folded: &str) -> bool {
    let chars: Vec<char> = folded.chars().collect();
    let repeated = (1..=chars.len() / 2).any(|unit| {
        chars.len().is_multiple_of(unit) && chars.chunks(unit).all(|chunk| chunk == &chars[..unit])
    });
    let stepping = |step: i64| {
        chars.windows(2).all(|pair| {
            let (a, b) = (pair[0] as i64, pair[1] as i64);
            b - a == step
                || (pair[0] == '9' && pair[1] == '0' && step == 1)
                || (pair[0] == '0' && pair[1] == '9' && step == -1)
        })
    };
    repeated || stepping(1) || stepping(-1)
}

/// The password is the email, its local part, the name, or the service's name, give or take
/// spaces, digits and symbols around it.
fn built_from(folded: &str, context: &[&str]) -> bool {
    let letters = |s: &str| s.chars().filter(|c| c.is_alphanumeric()).collect::<String>().to_lowercase();
    let core = letters(folded.trim_matches(|c: char| !c.is_alphabetic()));
    let mut words: Vec<String> = vec!["springboard".into()];
    for item in context {
        words.push(letters(item));
        if let Some((local, _)) = item.split_once('@') {
            words.push(letters(local));
        }
    }
    words.iter().any(|word| word.len() >= 4 && (core == *word || core == word.repeat(2)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(raw: &str) -> Option<UserErrorCode> {
        PasswordRules::default()
            .check(raw, "password", &["ada.lovelace@example.org", "Ada Lovelace"])
            .err()
            .map(|e| e.code)
    }

    #[test]
    fn the_list_is_loaded_sorted_and_lower_case() {
        assert!(COMMON.len() > 15_000, "{}", COMMON.len());
        assert!(COMMON.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(COMMON.iter().all(|p| *p == p.to_lowercase()));
    }

    #[test]
    fn length_is_counted_in_characters_within_the_configured_bounds() {
        assert_eq!(refused("fourteen chars"), Some(UserErrorCode::Invalid));
        assert_eq!(refused("fifteen chars!!"), None);
        assert_eq!(refused("ééééé ñññññ øøø"), None, "15 characters, 28 bytes");
        assert_eq!(refused(&"a b".repeat(100)), Some(UserErrorCode::Invalid));
        let eight = PasswordRules::with_min_chars(8);
        assert!(eight.check("tram fog", "p", &[]).is_ok());
        assert_eq!(PasswordRules::with_min_chars(3).min_chars(), LEAST_MIN_CHARS);
    }

    #[test]
    fn common_and_breached_passwords_are_refused_whatever_their_case() {
        let rules = PasswordRules::with_min_chars(8);
        for common in [
            "password",
            "Password",
            "QWERTYUIOP",
            "iloveyou",
            "sunshine",
            "password1234567",
            "Sunshine2024!!!!",
        ] {
            assert_eq!(
                rules.check(common, "p", &[]).err().map(|e| e.code),
                Some(UserErrorCode::WeakPassword),
                "{common}"
            );
        }
        assert!(rules.check("correct horse battery staple", "p", &[]).is_ok());
    }

    #[test]
    fn repeated_and_sequential_characters_are_refused() {
        for weak in
            ["aaaaaaaaaaaaaaa", "abcabcabcabcabc", "123456789012345", "abcdefghijklmnop", "987654321098765"]
        {
            assert_eq!(refused(weak), Some(UserErrorCode::WeakPassword), "{weak}");
        }
        assert_eq!(refused("abcabcabcabcabd"), None);
    }

    #[test]
    fn the_accounts_own_details_are_refused() {
        for weak in
            ["ada.lovelace@example.org", "AdaLovelace2024!!", "adalovelaceadalovelace", "Springboard2026!!"]
        {
            assert_eq!(refused(weak), Some(UserErrorCode::WeakPassword), "{weak}");
        }
        assert_eq!(refused("ada's analytical engine"), None);
    }
}
