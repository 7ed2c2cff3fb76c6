//! What time it is. Every rule that depends on "now" or "today" (bidding windows, assessment
//! age, token lifetimes, lockouts, future periods) reads it from the one `Clock` the `Db` handle
//! carries, so that tests can run those rules at any date instead of only on the day they were
//! written.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, NaiveDate, Utc};

#[derive(Clone, Debug, Default)]
pub struct Clock(Source);

#[derive(Clone, Debug, Default)]
enum Source {
    #[default]
    System,
    Manual(Arc<Mutex<Manual>>),
}

#[derive(Clone, Copy, Debug)]
enum Manual {
    /// The system clock moved by an offset: time still passes, so waits behave as in production.
    Shifted(Duration),
    /// Time stands still until it is moved.
    Fixed(DateTime<Utc>),
}

impl Clock {
    /// The machine's clock, as the server uses it.
    pub fn system() -> Self {
        Self(Source::System)
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.0 {
            Source::System => Utc::now(),
            Source::Manual(manual) => match *manual.lock().unwrap_or_else(PoisonError::into_inner) {
                Manual::Shifted(offset) => Utc::now() + offset,
                Manual::Fixed(at) => at,
            },
        }
    }

    /// Today's date in UTC.
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}

/// A clock that tests set and move; `clock()` gives the `Clock` to hand to the server. Every
/// copy of that `Clock` follows this handle.
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<Mutex<Manual>>);

impl ManualClock {
    /// Follows the system clock, moved by `offset` (zero for "now, but movable").
    pub fn shifted(offset: Duration) -> Self {
        Self(Arc::new(Mutex::new(Manual::Shifted(offset))))
    }

    /// Stands still at `at`.
    pub fn fixed(at: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(Manual::Fixed(at))))
    }

    pub fn clock(&self) -> Clock {
        Clock(Source::Manual(self.0.clone()))
    }

    /// Moves time forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut manual = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *manual = match *manual {
            Manual::Shifted(offset) => Manual::Shifted(offset + by),
            Manual::Fixed(at) => Manual::Fixed(at + by),
        };
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock().now()
    }

    pub fn today(&self) -> NaiveDate {
        self.clock().today()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_stands_still_until_moved() {
        let at = DateTime::parse_from_rfc3339("2031-02-28T23:30:00Z").map(|t| t.with_timezone(&Utc));
        let manual = ManualClock::fixed(at.expect("a valid instant"));
        let clock = manual.clock();
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2031, 2, 28).expect("a valid date"));
        manual.advance(Duration::hours(1));
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2031, 3, 1).expect("a valid date"));
    }

    #[test]
    fn a_shifted_clock_keeps_running_at_its_offset() {
        let manual = ManualClock::shifted(Duration::days(-3650));
        let clock = manual.clock();
        let behind = Utc::now() - clock.now();
        assert!((behind - Duration::days(3650)).abs() < Duration::seconds(5), "{behind}");
        manual.advance(Duration::days(3650));
        assert!((clock.now() - Utc::now()).abs() < Duration::seconds(5));
    }
}
