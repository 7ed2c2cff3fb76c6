//! Institutions' time zones. Dates in the API (period starts, assessment days) are calendar days
//! with no zone; whether a day has come, or a period has ended, is asked in the zone of the
//! institution the data belongs to: for observations, the site's host institution.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::error::{FieldError, UserErrorCode};

/// Where institutions are unless they say otherwise: the programmes run in the United Kingdom.
pub const DEFAULT: Tz = chrono_tz::Europe::London;

/// An IANA time-zone name as written in the tz database (`Europe/London`, `America/New_York`,
/// `UTC`), matched exactly.
pub fn parse(raw: &str, field: &str) -> Result<Tz, FieldError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(FieldError::new(field, UserErrorCode::Required, "must not be blank"));
    }
    Tz::from_str(name).map_err(|_| {
        FieldError::new(
            field,
            UserErrorCode::Invalid,
            "not a time-zone name from the IANA database, such as Europe/London or America/New_York",
        )
    })
}

/// A stored zone; a name this build does not know falls back to the default rather than failing
/// every read that needs the date.
pub fn of(stored: &str) -> Tz {
    Tz::from_str(stored).unwrap_or(DEFAULT)
}

/// The calendar day it is at `now` in `zone`.
pub fn today_in(zone: Tz, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&zone).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_iana_names() {
        assert_eq!(parse(" Europe/London ", "timeZone").unwrap(), chrono_tz::Europe::London);
        assert_eq!(parse("UTC", "timeZone").unwrap(), chrono_tz::UTC);
        for bad in ["", "GMT+25", "europe/london", "London", "Mars/Olympus"] {
            assert!(parse(bad, "timeZone").is_err(), "{bad}");
        }
        assert_eq!(of("no such zone"), DEFAULT);
    }

    #[test]
    fn the_day_depends_on_the_zone() {
        // 23:30 UTC on 31 March 2026 is already 1 April in London (summer time began on 29 March)
        // and still 31 March in New York.
        let now = DateTime::parse_from_rfc3339("2026-03-31T23:30:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(today_in(chrono_tz::Europe::London, now), NaiveDate::from_ymd_opt(2026, 4, 1).unwrap());
        assert_eq!(
            today_in(chrono_tz::America::New_York, now),
            NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()
        );
        assert_eq!(today_in(chrono_tz::UTC, now), NaiveDate::from_ymd_opt(2026, 3, 31).unwrap());
    }
}
