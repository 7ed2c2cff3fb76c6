//! Time-based one-time passwords (RFC 6238) as authenticator apps speak them: HMAC-SHA1,
//! six digits, thirty-second steps. A code is accepted one step either side of now (clocks on
//! phones drift), and only for a step later than the last one accepted, so no code works twice.

use chrono::{DateTime, Utc};
use ring::hmac;
use subtle::ConstantTimeEq;

pub const DIGITS: usize = 6;
pub const PERIOD_SECS: i64 = 30;
/// 160 bits, the HMAC-SHA1 block RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;
const DRIFT_STEPS: i64 = 1;

pub fn new_secret() -> [u8; SECRET_BYTES] {
    let mut secret = [0u8; SECRET_BYTES];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut secret);
    secret
}

pub fn step_at(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(PERIOD_SECS)
}

/// The code for `step` (RFC 4226's HOTP with the step as counter).
pub fn code(secret: &[u8], step: i64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let mac = hmac::sign(&key, &step.to_be_bytes());
    let mac = mac.as_ref();
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([mac[offset] & 0x7f, mac[offset + 1], mac[offset + 2], mac[offset + 3]]);
    format!("{:0width$}", binary % 10u32.pow(DIGITS as u32), width = DIGITS)
}

/// Whether `input` has the shape of a code (six digits, spaces allowed as apps show them).
pub fn looks_like_code(input: &str) -> bool {
    let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    digits.len() == DIGITS && digits.chars().all(|c| c.is_ascii_digit())
}

/// The step `input` is the code for, if it is one within the drift window and later than
/// `last_step`. Every candidate is compared, in constant time, whatever matches.
pub fn accepted_step(secret: &[u8], input: &str, now: DateTime<Utc>, last_step: Option<i64>) -> Option<i64> {
    let input: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if input.len() != DIGITS {
        return None;
    }
    let current = step_at(now);
    let mut accepted = None;
    for step in current - DRIFT_STEPS..=current + DRIFT_STEPS {
        let matches: bool = code(secret, step).as_bytes().ct_eq(input.as_bytes()).into();
        if matches && last_step.is_none_or(|last| step > last) && accepted.is_none() {
            accepted = Some(step);
        }
    }
    accepted
}

/// RFC 4648 base32 without padding, as `otpauth://` URIs and manual entry expect.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The Key URI Format authenticator apps read from a QR code.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={PERIOD_SECS}",
        percent_encode(issuer),
        percent_encode(account),
        base32(secret),
        percent_encode(issuer),
    )
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'@') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// RFC 6238 appendix B, SHA-1 rows (eight digits there; six are the last six).
    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (time, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            let at = Utc.timestamp_opt(time, 0).unwrap();
            assert_eq!(code(secret, step_at(at)), eight[2..], "at {time}");
        }
    }

    #[test]
    fn a_code_is_accepted_within_one_step_and_never_for_an_earlier_step() {
        let secret = b"12345678901234567890";
        let now = Utc.timestamp_opt(1_111_111_111, 0).unwrap();
        let step = step_at(now);
        assert_eq!(accepted_step(secret, &code(secret, step), now, None), Some(step));
        assert_eq!(accepted_step(secret, &code(secret, step - 1), now, None), Some(step - 1));
        assert_eq!(accepted_step(secret, &code(secret, step + 1), now, None), Some(step + 1));
        assert_eq!(accepted_step(secret, &code(secret, step - 2), now, None), None);
        assert_eq!(accepted_step(secret, &code(secret, step), now, Some(step)), None, "replayed");
        assert_eq!(accepted_step(secret, &code(secret, step + 1), now, Some(step)), Some(step + 1));
        let spaced = format!("{} {}", &code(secret, step)[..3], &code(secret, step)[3..]);
        assert_eq!(accepted_step(secret, &spaced, now, None), Some(step));
        assert_eq!(accepted_step(secret, "12345", now, None), None);
    }

    #[test]
    fn base32_follows_rfc_4648() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foob"), "MZXW6YQ");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"12345678901234567890"), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    }

    #[test]
    fn the_uri_names_issuer_account_and_parameters() {
        let uri = otpauth_uri("Springboard", "ann+qi@example.org", b"12345678901234567890");
        assert_eq!(
            uri,
            "otpauth://totp/Springboard:ann%2Bqi@example.org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Springboard&algorithm=SHA1&digits=6&period=30"
        );
    }
}
