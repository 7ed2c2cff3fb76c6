//! Cursors: the sort values of a row, tagged with the order they belong to, as opaque text.
//! A cursor comes back from clients, so decoding checks it like any other input: a value the
//! database could not compare with its column is refused here, not sent to the database.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::ColumnType;
use sea_orm::{ColumnTrait, Condition, ModelTrait, Value};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::invalid;
use crate::error::ServiceError;

/// Longest cursor text worth decoding.
const MAX_CURSOR_LEN: usize = 2048;
/// Longest text sort value; longer than any sortable column holds.
const MAX_TEXT_CHARS: usize = 1_000;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
enum Key {
    #[serde(rename = "s")]
    Text(String),
    #[serde(rename = "d")]
    Date(NaiveDate),
    #[serde(rename = "u")]
    Uuid(Uuid),
    #[serde(rename = "t")]
    Time(DateTime<Utc>),
    #[serde(rename = "i")]
    Int(i64),
}

impl Key {
    fn from_value(value: Value) -> Option<Self> {
        Some(match value {
            Value::String(Some(text)) => Key::Text(text),
            Value::ChronoDate(Some(date)) => Key::Date(date),
            Value::Uuid(Some(id)) => Key::Uuid(id),
            Value::ChronoDateTimeUtc(Some(at)) => Key::Time(at),
            Value::BigInt(Some(n)) => Key::Int(n),
            Value::Int(Some(n)) => Key::Int(i64::from(n)),
            _ => return None,
        })
    }

    fn into_value(self) -> Value {
        match self {
            Key::Text(text) => Value::String(Some(text)),
            Key::Date(date) => Value::ChronoDate(Some(date)),
            Key::Uuid(id) => Value::Uuid(Some(id)),
            Key::Time(at) => Value::ChronoDateTimeUtc(Some(at)),
            Key::Int(n) => Value::BigInt(Some(n)),
        }
    }

    /// Whether the database can compare this value with a column of `column_type`.
    fn fits(&self, column_type: &ColumnType) -> bool {
        matches!(
            (self, column_type),
            (Key::Text(_), ColumnType::String(_) | ColumnType::Text | ColumnType::Char(_))
                | (Key::Date(_), ColumnType::Date)
                | (Key::Uuid(_), ColumnType::Uuid)
                | (
                    Key::Time(_),
                    ColumnType::TimestampWithTimeZone | ColumnType::DateTime | ColumnType::Timestamp
                )
                | (Key::Int(_), ColumnType::Integer | ColumnType::BigInteger)
        )
    }

    fn is_sane(&self) -> bool {
        match self {
            Key::Text(text) => !text.contains('\0') && text.chars().count() <= MAX_TEXT_CHARS,
            Key::Date(date) => crate::text::date(*date, "").is_ok(),
            Key::Time(at) => crate::text::date(at.date_naive(), "").is_ok(),
            Key::Uuid(_) | Key::Int(_) => true,
        }
    }
}

/// A position in an ordered list: just after (or before) the row it was taken from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "o")]
    order: String,
    #[serde(rename = "k")]
    keys: Vec<Key>,
}

impl Cursor {
    /// The cursor of `model` in the order tagged `tag` over `columns`.
    pub(super) fn of<M: ModelTrait>(
        model: &M,
        columns: &[<M::Entity as sea_orm::EntityTrait>::Column],
        tag: &str,
    ) -> Result<Self, ServiceError> {
        let keys = columns
            .iter()
            .map(|column| {
                Key::from_value(model.get(*column)).ok_or_else(|| ServiceError::internal(Unsortable))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { order: tag.to_owned(), keys })
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn decode(raw: &str) -> Option<Self> {
        if raw.len() > MAX_CURSOR_LEN {
            return None;
        }
        let cursor: Self = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(raw).ok()?).ok()?;
        cursor.keys.iter().all(Key::is_sane).then_some(cursor)
    }

    /// Rows strictly past this cursor in the order (`columns`, `ascending`) tagged `tag`:
    /// `(c1 > k1) OR (c1 = k1 AND c2 > k2) OR …`.
    pub(super) fn beyond<C: ColumnTrait>(
        &self,
        columns: &[C],
        ascending: bool,
        tag: &str,
        field: &str,
    ) -> Result<Condition, ServiceError> {
        let fits = self.keys.len() == columns.len()
            && self.keys.iter().zip(columns).all(|(key, column)| key.fits(column.def().get_column_type()));
        if self.order != tag || !fits {
            return Err(invalid(field, "this cursor belongs to another list or order"));
        }
        let mut any = Condition::any();
        for (i, column) in columns.iter().enumerate() {
            let mut all = Condition::all();
            for (earlier, key) in columns.iter().zip(&self.keys).take(i) {
                all = all.add(earlier.eq(key.clone().into_value()));
            }
            let value = self.keys[i].clone().into_value();
            all = all.add(if ascending { column.gt(value) } else { column.lt(value) });
            any = any.add(all);
        }
        Ok(any)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("a list is ordered by a column whose values cannot be put in a cursor")]
struct Unsortable;

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    #[test]
    fn cursors_round_trip() {
        let cursor = Cursor {
            order: "title+".into(),
            keys: vec![Key::Text("Sepsis".into()), Key::Uuid(Uuid::now_v7())],
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
    }

    #[test]
    fn cursors_with_values_no_column_holds_are_refused() {
        for json in [
            r#"{"o":"title+","k":[{"s":"a\u0000b"}]}"#,
            r#"{"o":"period+","k":[{"d":"-200000-01-01"}]}"#,
            r#"{"o":"period+","k":[{"d":"2400-01-01"}]}"#,
            r#"{"o":"title+","k":[{"x":1}]}"#,
        ] {
            assert_eq!(Cursor::decode(&encoded(json)), None, "{json}");
        }
        assert!(Cursor::decode(&"A".repeat(MAX_CURSOR_LEN + 1)).is_none());
    }
}
