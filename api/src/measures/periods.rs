//! Periods: each measure is reported weekly (Monday starts), monthly (1st) or quarterly
//! (1 January, April, July, October).

use chrono::{Datelike, Months, NaiveDate, Weekday};
use entity::measure::MeasureFrequency;

pub fn is_aligned(frequency: MeasureFrequency, start: NaiveDate) -> bool {
    match frequency {
        MeasureFrequency::Weekly => start.weekday() == Weekday::Mon,
        MeasureFrequency::Monthly => start.day() == 1,
        MeasureFrequency::Quarterly => start.day() == 1 && matches!(start.month(), 1 | 4 | 7 | 10),
    }
}

pub fn describe(frequency: MeasureFrequency) -> &'static str {
    match frequency {
        MeasureFrequency::Weekly => "a weekly measure's periods start on a Monday",
        MeasureFrequency::Monthly => "a monthly measure's periods start on the 1st of a month",
        MeasureFrequency::Quarterly => {
            "a quarterly measure's periods start on 1 January, April, July or October"
        }
    }
}

/// The start of the period after `start`.
pub fn next(frequency: MeasureFrequency, start: NaiveDate) -> Option<NaiveDate> {
    match frequency {
        MeasureFrequency::Weekly => start.checked_add_days(chrono::Days::new(7)),
        MeasureFrequency::Monthly => start.checked_add_months(Months::new(1)),
        MeasureFrequency::Quarterly => start.checked_add_months(Months::new(3)),
    }
}

/// Whether the period starting on `start` is over on `today`: its last day was yesterday or
/// before.
pub fn has_ended(frequency: MeasureFrequency, start: NaiveDate, today: NaiveDate) -> bool {
    next(frequency, start).is_some_and(|end| end <= today)
}

/// The start of the latest period over on `today`: the one before the period holding it.
pub fn last_ended(frequency: MeasureFrequency, today: NaiveDate) -> Option<NaiveDate> {
    let current = crate::analysis::period_index(today, analysis_frequency(frequency));
    start_of_index(frequency, current - 1)
}

/// How many periods lie between two aligned starts (0 for the same period), for gap detection.
pub fn index_between(frequency: MeasureFrequency, first: NaiveDate, later: NaiveDate) -> i64 {
    match frequency {
        MeasureFrequency::Weekly => (later - first).num_days() / 7,
        MeasureFrequency::Monthly | MeasureFrequency::Quarterly => {
            let months = i64::from(later.year() - first.year()) * 12 + i64::from(later.month())
                - i64::from(first.month());
            if frequency == MeasureFrequency::Quarterly { months / 3 } else { months }
        }
    }
}

/// The analysis module numbers periods (`analysis::period_index`); this is the way back, to the
/// period's first day.
pub fn start_of_index(frequency: MeasureFrequency, index: i64) -> Option<NaiveDate> {
    match frequency {
        MeasureFrequency::Weekly => i32::try_from(index.checked_mul(7)?.checked_add(1)?)
            .ok()
            .and_then(NaiveDate::from_num_days_from_ce_opt),
        MeasureFrequency::Monthly => {
            let year = i32::try_from(index.div_euclid(12)).ok()?;
            NaiveDate::from_ymd_opt(year, u32::try_from(index.rem_euclid(12)).ok()? + 1, 1)
        }
        MeasureFrequency::Quarterly => {
            let year = i32::try_from(index.div_euclid(4)).ok()?;
            NaiveDate::from_ymd_opt(year, u32::try_from(index.rem_euclid(4)).ok()? * 3 + 1, 1)
        }
    }
}

pub fn analysis_frequency(frequency: MeasureFrequency) -> crate::analysis::Frequency {
    match frequency {
        MeasureFrequency::Weekly => crate::analysis::Frequency::Weekly,
        MeasureFrequency::Monthly => crate::analysis::Frequency::Monthly,
        MeasureFrequency::Quarterly => crate::analysis::Frequency::Quarterly,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn periods_align_with_their_frequency() {
        assert!(is_aligned(MeasureFrequency::Weekly, d(2026, 11, 23)));
        assert!(!is_aligned(MeasureFrequency::Weekly, d(2026, 11, 24)));
        assert!(is_aligned(MeasureFrequency::Monthly, d(2026, 2, 1)));
        assert!(!is_aligned(MeasureFrequency::Monthly, d(2026, 2, 2)));
        assert!(is_aligned(MeasureFrequency::Quarterly, d(2026, 10, 1)));
        assert!(!is_aligned(MeasureFrequency::Quarterly, d(2026, 11, 1)));
    }

    #[test]
    fn period_indices_map_back_to_their_first_day() {
        for (frequency, date) in [
            (MeasureFrequency::Weekly, d(2026, 11, 23)),
            (MeasureFrequency::Weekly, d(1999, 1, 4)),
            (MeasureFrequency::Monthly, d(2026, 2, 1)),
            (MeasureFrequency::Quarterly, d(2026, 10, 1)),
        ] {
            let index = crate::analysis::period_index(date, analysis_frequency(frequency));
            assert_eq!(start_of_index(frequency, index), Some(date), "{frequency:?}");
        }
    }

    #[test]
    fn period_indices_count_whole_periods() {
        assert_eq!(index_between(MeasureFrequency::Weekly, d(2026, 1, 5), d(2026, 2, 2)), 4);
        assert_eq!(index_between(MeasureFrequency::Monthly, d(2025, 11, 1), d(2026, 2, 1)), 3);
        assert_eq!(index_between(MeasureFrequency::Quarterly, d(2025, 10, 1), d(2026, 4, 1)), 2);
        assert_eq!(next(MeasureFrequency::Monthly, d(2026, 1, 1)), Some(d(2026, 2, 1)));
    }

    #[test]
    fn a_period_ends_when_its_last_day_is_over() {
        assert!(!has_ended(MeasureFrequency::Monthly, d(2026, 3, 1), d(2026, 3, 31)));
        assert!(has_ended(MeasureFrequency::Monthly, d(2026, 3, 1), d(2026, 4, 1)));
        assert!(!has_ended(MeasureFrequency::Weekly, d(2026, 11, 23), d(2026, 11, 29)));
        assert!(has_ended(MeasureFrequency::Weekly, d(2026, 11, 23), d(2026, 11, 30)));
        assert!(!has_ended(MeasureFrequency::Quarterly, d(2026, 10, 1), d(2026, 12, 31)));
        assert!(has_ended(MeasureFrequency::Quarterly, d(2026, 10, 1), d(2027, 1, 1)));
        assert_eq!(last_ended(MeasureFrequency::Monthly, d(2026, 3, 31)), Some(d(2026, 2, 1)));
        assert_eq!(last_ended(MeasureFrequency::Weekly, d(2026, 11, 29)), Some(d(2026, 11, 16)));
        assert_eq!(last_ended(MeasureFrequency::Quarterly, d(2026, 1, 1)), Some(d(2025, 10, 1)));
    }
}
