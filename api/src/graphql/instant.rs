//! `DateTime`, the schema's instant, as our own scalar: the library's takes any string at
//! validation and fails only during execution, naming neither the field nor the format. Values
//! read and write exactly as the library's did (RFC 3339; written in UTC as `+00:00`).

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, Utc};

/// An instant: RFC 3339 with a time-zone offset, such as `2026-03-01T09:00:00Z` or
/// `2026-03-01T10:00:00+01:00`; the API writes UTC, as `2026-03-01T09:00:00.123456+00:00`. Input
/// without an offset is refused, naming the field and the format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(pub DateTime<Utc>);

/// An instant: RFC 3339 with a time-zone offset, such as `2026-03-01T09:00:00Z` or
/// `2026-03-01T10:00:00+01:00`; the API writes UTC, as `2026-03-01T09:00:00.123456+00:00`. Input
/// without an offset is refused, naming the field and the format.
#[Scalar(name = "DateTime")]
impl ScalarType for Instant {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => text.parse::<DateTime<Utc>>().map(Instant).map_err(|_| {
                InputValueError::custom(format!(
                    "{text:?} is not an instant: a DateTime is RFC 3339 with a time-zone offset, such as 2026-03-01T09:00:00Z"
                ))
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(text) if text.parse::<DateTime<Utc>>().is_ok())
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339())
    }
}

impl From<DateTime<Utc>> for Instant {
    fn from(at: DateTime<Utc>) -> Self {
        Instant(at)
    }
}

impl From<Instant> for DateTime<Utc> {
    fn from(at: Instant) -> Self {
        at.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_reads_with_an_offset_and_writes_as_the_library_did() {
        let at = Instant::parse(Value::String("2026-03-01T10:00:00+01:00".into())).unwrap();
        assert_eq!(at.to_value(), Value::String("2026-03-01T09:00:00+00:00".into()));
        assert!(!Instant::is_valid(&Value::String("2026-03-01T10:00".into())));
        assert!(Instant::parse(Value::String("2026-03-01T10:00".into())).is_err());
    }
}
