//! Recovery codes: ten single-use codes that stand in for a lost authenticator. Each is 80
//! random bits (sixteen Crockford base32 characters in groups of four), far beyond guessing, so
//! SHA-256 suffices to keep them, as for the other bearer secrets.

use chrono::{DateTime, Utc};
use entity::recovery_code;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::error::ServiceError;

pub const COUNT: usize = 10;
const CHARS: usize = 16;
/// Crockford's alphabet: no I, L, O or U to misread.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// What a person types, reduced to the characters that count: case, spaces and hyphens do not,
/// and the letters Crockford reads as digits are read so.
fn normalise(input: &str) -> Option<String> {
    let mut out = String::with_capacity(CHARS);
    for c in input.chars() {
        let c = match c.to_ascii_lowercase() {
            ' ' | '-' => continue,
            'i' | 'l' => '1',
            'o' => '0',
            c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
            _ => return None,
        };
        out.push(c);
    }
    (out.len() == CHARS).then_some(out)
}

/// Whether `input` has the shape of a recovery code (rather than an authenticator's code).
pub fn looks_like_recovery_code(input: &str) -> bool {
    normalise(input).is_some()
}

fn hash(normalised: &str) -> Vec<u8> {
    Sha256::digest(normalised.as_bytes()).to_vec()
}

fn generate() -> String {
    let mut bytes = [0u8; CHARS];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    let chars: Vec<char> = bytes.iter().map(|b| char::from(ALPHABET[usize::from(b & 31)])).collect();
    chars.chunks(4).map(|group| group.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// Replaces the person's codes with a fresh set and returns it: shown once, never again.
pub async fn replace(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    user_id: Uuid,
) -> Result<Vec<String>, ServiceError> {
    recovery_code::Entity::delete_many().filter(recovery_code::Column::UserId.eq(user_id)).exec(conn).await?;
    let codes: Vec<String> = (0..COUNT).map(|_| generate()).collect();
    let rows = codes.iter().map(|code| recovery_code::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        code_hash: Set(hash(&normalise(code).unwrap_or_default())),
        used_at: Set(None),
        created_at: Set(now),
    });
    recovery_code::Entity::insert_many(rows).exec_without_returning(conn).await?;
    Ok(codes)
}

/// Spends `input` if it is one of the person's unused codes. Of two concurrent uses of one
/// code, only one succeeds.
pub async fn spend(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    user_id: Uuid,
    input: &str,
) -> Result<bool, ServiceError> {
    let Some(normalised) = normalise(input) else { return Ok(false) };
    let wanted = hash(&normalised);
    let unused = recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .all(conn)
        .await?;
    let mut found = None;
    for row in &unused {
        if bool::from(row.code_hash.ct_eq(&wanted)) {
            found = Some(row.id);
        }
    }
    let Some(id) = found else { return Ok(false) };
    let spent = recovery_code::Entity::update_many()
        .col_expr(recovery_code::Column::UsedAt, Expr::val(now))
        .filter(recovery_code::Column::Id.eq(id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(spent.rows_affected == 1)
}

/// How many unused codes the person has left.
pub async fn left(conn: &impl ConnectionTrait, user_id: Uuid) -> Result<u64, ServiceError> {
    use sea_orm::PaginatorTrait;
    Ok(recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .count(conn)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_are_grouped_and_read_back_however_typed() {
        let code = generate();
        assert_eq!(code.len(), 19);
        assert_eq!(code.matches('-').count(), 3);
        let normal = normalise(&code).unwrap();
        assert_eq!(normalise(&code.to_uppercase().replace('-', " ")).unwrap(), normal);
        assert_eq!(normalise("0000-1111-abcd-efgh"), normalise("OOOO-iIlL-ABCD-EFGH"));
        assert!(looks_like_recovery_code(&code));
        assert!(!looks_like_recovery_code("123456"));
        assert!(!looks_like_recovery_code("uuuu-uuuu-uuuu-uuuu"));
    }

    #[test]
    fn codes_differ() {
        let codes: std::collections::HashSet<String> = (0..100).map(|_| generate()).collect();
        assert_eq!(codes.len(), 100);
    }
}
