//! `Date`, the schema's calendar day. Our own scalar rather than the library's, whose name
//! (`NaiveDate`) and description speak of Rust rather than of the API.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::NaiveDate;

/// A calendar day without a time or time zone, `YYYY-MM-DD` (ISO 8601), such as `2026-03-01`.
/// Where a rule asks whether a day has come, the field says whose calendar it is read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub NaiveDate);

const FORMAT: &str = "%Y-%m-%d";

/// A calendar day without a time or time zone, `YYYY-MM-DD` (ISO 8601), such as `2026-03-01`.
/// Where a rule asks whether a day has come, the field says whose calendar it is read in.
#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => NaiveDate::parse_from_str(text, FORMAT).map(Date).map_err(|_| {
                InputValueError::custom(format!(
                    "{text:?} is not a day: a date is YYYY-MM-DD, such as 2026-03-01"
                ))
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(text) if NaiveDate::parse_from_str(text, FORMAT).is_ok())
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format(FORMAT).to_string())
    }
}

impl From<NaiveDate> for Date {
    fn from(day: NaiveDate) -> Self {
        Date(day)
    }
}

impl From<Date> for NaiveDate {
    fn from(day: Date) -> Self {
        day.0
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.format(FORMAT).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_reads_and_writes_as_iso_8601() {
        let day = Date::parse(Value::String("2026-03-01".into())).unwrap();
        assert_eq!(day, Date(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()));
        assert_eq!(day.to_value(), Value::String("2026-03-01".into()));
        assert!(Date::parse(Value::String("01/03/2026".into())).is_err());
        assert!(Date::parse(Value::Number(20_260_301.into())).is_err());
    }
}
