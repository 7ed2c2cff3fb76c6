//! Checking a batch of observations before anything is written: every bad row is reported by
//! index and field, and one bad row rejects the batch.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use entity::measure::{MeasureFrequency, MeasureUnit};
use uuid::Uuid;

use super::calendar::Calendar;
use super::csv_import::Columns;
use super::periods;
use crate::error::{FieldError, UserErrorCode};

pub const MAX_ROWS: usize = 10_000;
pub const MAX_NOTE_CHARS: usize = 2_000;
/// Beyond this many, further row errors are summarised rather than listed.
pub const MAX_REPORTED_ERRORS: usize = 500;

/// A row as a client sends it, before any checking.
#[derive(Clone, Debug)]
pub struct RawRow {
    /// A ProjectSite ID or the host institution's slug.
    pub site: String,
    pub period_start: Result<NaiveDate, String>,
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub note: Option<String>,
    /// A cell could not be read (the parser has said so): the value rules are skipped, so the
    /// row gets one error for it rather than a second, contradictory one.
    pub unreadable: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ValidRow {
    pub site_id: Uuid,
    pub period_start: NaiveDate,
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub note: Option<String>,
}

/// What the rows are checked against.
pub struct Context<'a> {
    pub unit: MeasureUnit,
    pub frequency: MeasureFrequency,
    /// "Today" at each site: a period may not start after it.
    pub calendar: &'a Calendar,
    /// A completed project's completion day: periods from then on are refused.
    pub closed_from: Option<NaiveDate>,
    /// Accepted sites by ProjectSite ID and by slug.
    pub sites: &'a HashMap<String, Uuid>,
    /// Sites this actor may record for.
    pub writable: &'a HashSet<Uuid>,
}

/// Where a row's errors are reported: `observations.<index>.<field>` for GraphQL input,
/// `file.<line>.<column>` for CSV, the column named as the file's header names it.
pub struct Location<'a> {
    pub prefix: &'a str,
    pub number: usize,
    pub columns: Option<&'a Columns>,
}

impl Location<'_> {
    fn path(&self, field: &str) -> String {
        let name = self.columns.map_or_else(|| field.to_owned(), |c| c.name_of(field));
        format!("{}.{}.{name}", self.prefix, self.number)
    }

    /// How a message refers to a row: "line 7" in a file, `observations.7` in a request.
    fn label(&self, number: usize) -> String {
        if self.columns.is_some() { format!("line {number}") } else { format!("{}.{number}", self.prefix) }
    }
}

fn error(at: &Location<'_>, field: &str, code: UserErrorCode, message: impl Into<String>) -> FieldError {
    FieldError::new(&at.path(field), code, message)
}

fn finite(value: Option<f64>, at: &Location<'_>, field: &str, errors: &mut Vec<FieldError>) -> Option<f64> {
    match value {
        Some(v) if !v.is_finite() => {
            errors.push(error(at, field, UserErrorCode::Invalid, "must be a finite number"));
            None
        }
        other => other,
    }
}

pub fn check_row(row: RawRow, ctx: &Context<'_>, at: &Location<'_>) -> Result<ValidRow, Vec<FieldError>> {
    let mut errors = Vec::new();
    let site_id = match ctx.sites.get(row.site.trim()) {
        None => {
            errors.push(error(at, "site", UserErrorCode::NotFound, "not an accepted site of this project"));
            None
        }
        Some(id) if !ctx.writable.contains(id) => {
            errors.push(error(
                at,
                "site",
                UserErrorCode::NotEligible,
                "your institution records for its own site only",
            ));
            None
        }
        Some(id) => Some(*id),
    };
    let period_start = match row.period_start {
        Err(text) => {
            errors.push(error(
                at,
                "periodStart",
                UserErrorCode::Invalid,
                format!("`{text}` is not a date (YYYY-MM-DD)"),
            ));
            None
        }
        Ok(date) if !periods::is_aligned(ctx.frequency, date) => {
            errors.push(error(at, "periodStart", UserErrorCode::Invalid, periods::describe(ctx.frequency)));
            None
        }
        Ok(date) if crate::text::date(date, "periodStart").is_err() => {
            errors.push(error(
                at,
                "periodStart",
                UserErrorCode::Invalid,
                "must be a date between 1900 and 2199",
            ));
            None
        }
        Ok(date)
            if date > site_id.map_or_else(|| ctx.calendar.default_today(), |s| ctx.calendar.today_at(s)) =>
        {
            errors.push(error(at, "periodStart", UserErrorCode::Invalid, "the period has not started yet"));
            None
        }
        Ok(date) if ctx.closed_from.is_some_and(|end| date >= end) => {
            errors.push(error(
                at,
                "periodStart",
                UserErrorCode::NotAllowedInStatus,
                "the project is COMPLETED: only periods before its completion can still be recorded",
            ));
            None
        }
        Ok(date) => Some(date),
    };
    let value = finite(row.value, at, "value", &mut errors);
    let numerator = finite(row.numerator, at, "numerator", &mut errors);
    let denominator = finite(row.denominator, at, "denominator", &mut errors);
    let note_field = at.path("note");
    let note = crate::text::optional(row.note.as_deref(), &note_field, MAX_NOTE_CHARS).unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    let value = if row.unreadable {
        None
    } else {
        check_value(ctx.unit, value, numerator, denominator, at, &mut errors)
    };
    match (site_id, period_start, errors.is_empty()) {
        (Some(site_id), Some(period_start), true) => {
            Ok(ValidRow { site_id, period_start, value, numerator, denominator, note })
        }
        _ => Err(errors),
    }
}

/// The unit's rules; returns the row's value (computed from the fraction where there is one).
fn check_value(
    unit: MeasureUnit,
    value: Option<f64>,
    numerator: Option<f64>,
    denominator: Option<f64>,
    at: &Location<'_>,
    errors: &mut Vec<FieldError>,
) -> Option<f64> {
    let fraction = match (numerator, denominator) {
        (Some(n), Some(d)) => {
            if n < 0.0 {
                errors.push(error(at, "numerator", UserErrorCode::Invalid, "must not be negative"));
            }
            if d < 0.0 {
                errors.push(error(at, "denominator", UserErrorCode::Invalid, "must not be negative"));
            }
            Some((n, d))
        }
        (Some(_), None) => {
            errors.push(error(at, "denominator", UserErrorCode::Required, "a numerator needs a denominator"));
            None
        }
        (None, Some(_)) => {
            errors.push(error(at, "numerator", UserErrorCode::Required, "a denominator needs a numerator"));
            None
        }
        (None, None) => None,
    };
    match unit {
        MeasureUnit::Proportion => match fraction {
            None => {
                if numerator.is_none() && denominator.is_none() {
                    errors.push(error(
                        at,
                        "numerator",
                        UserErrorCode::Required,
                        "a proportion needs a numerator and a denominator",
                    ));
                }
                None
            }
            Some((n, d)) => {
                if n > d {
                    errors.push(error(
                        at,
                        "numerator",
                        UserErrorCode::Invalid,
                        "a proportion's numerator cannot exceed its denominator",
                    ));
                }
                // A zero denominator is kept (the period happened, nothing was eligible) and left
                // out of the p-chart; its value is undefined.
                (d > 0.0).then(|| n / d)
            }
        },
        MeasureUnit::Rate => match (fraction, value) {
            (Some((_, d)), _) if d <= 0.0 => {
                errors.push(error(
                    at,
                    "denominator",
                    UserErrorCode::Invalid,
                    "a rate's denominator must be positive",
                ));
                None
            }
            (Some((n, d)), _) => Some(n / d),
            (None, Some(v)) if v < 0.0 => {
                errors.push(error(at, "value", UserErrorCode::Invalid, "a rate cannot be negative"));
                None
            }
            (None, Some(v)) => Some(v),
            (None, None) => {
                errors.push(error(
                    at,
                    "value",
                    UserErrorCode::Required,
                    "a rate needs a value or a numerator and denominator",
                ));
                None
            }
        },
        MeasureUnit::Count => match value.or(numerator) {
            Some(v) if v < 0.0 || v.fract() != 0.0 => {
                errors.push(error(
                    at,
                    "value",
                    UserErrorCode::Invalid,
                    "a count is a whole number, zero or more",
                ));
                None
            }
            Some(v) => Some(v),
            None => {
                errors.push(error(at, "value", UserErrorCode::Required, "a count needs a value"));
                None
            }
        },
        MeasureUnit::Continuous => {
            if value.is_none() {
                errors.push(error(at, "value", UserErrorCode::Required, "needs a value"));
            }
            value
        }
    }
}

/// Checks a whole batch numbered from `first_number`; the same (site, period) twice in one
/// batch is an error on the later row.
pub fn check_batch(
    rows: Vec<RawRow>,
    ctx: &Context<'_>,
    prefix: &str,
    first_number: usize,
) -> Result<Vec<ValidRow>, Vec<FieldError>> {
    let numbered = rows.into_iter().enumerate().map(|(i, row)| (first_number + i, row)).collect();
    check_numbered(numbered, ctx, prefix, None)
}

/// Checks rows that carry their own numbers (a file's lines, not necessarily consecutive), with
/// errors naming the file's `columns` where there are any.
pub fn check_numbered(
    rows: Vec<(usize, RawRow)>,
    ctx: &Context<'_>,
    prefix: &str,
    columns: Option<&Columns>,
) -> Result<Vec<ValidRow>, Vec<FieldError>> {
    if rows.is_empty() {
        return Err(vec![FieldError::new(prefix, UserErrorCode::Required, "send at least one observation")]);
    }
    if rows.len() > MAX_ROWS {
        return Err(vec![FieldError::new(
            prefix,
            UserErrorCode::Invalid,
            format!("at most {MAX_ROWS} observations per call"),
        )]);
    }
    let mut valid = Vec::with_capacity(rows.len());
    let mut errors = Vec::new();
    let mut seen: HashMap<(Uuid, NaiveDate), usize> = HashMap::with_capacity(rows.len());
    for (number, row) in rows {
        let at = Location { prefix, number, columns };
        match check_row(row, ctx, &at) {
            Ok(row) => match seen.get(&(row.site_id, row.period_start)) {
                None => {
                    seen.insert((row.site_id, row.period_start), number);
                    valid.push(row);
                }
                Some(&earlier) => errors.push(error(
                    &at,
                    "periodStart",
                    UserErrorCode::Invalid,
                    format!("the same site and period as {}", at.label(earlier)),
                )),
            },
            Err(mut row_errors) => errors.append(&mut row_errors),
        }
    }
    if errors.is_empty() {
        return Ok(valid);
    }
    if errors.len() > MAX_REPORTED_ERRORS {
        let more = errors.len() - MAX_REPORTED_ERRORS;
        errors.truncate(MAX_REPORTED_ERRORS);
        errors.push(FieldError::new(prefix, UserErrorCode::Invalid, format!("and {more} more problems")));
    }
    Err(errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    struct Fixture {
        sites: HashMap<String, Uuid>,
        writable: HashSet<Uuid>,
        calendar: Calendar,
    }

    fn fixture() -> (Fixture, Uuid, Uuid) {
        let (mine, theirs) = (Uuid::now_v7(), Uuid::now_v7());
        let sites = HashMap::from([("mine".to_owned(), mine), ("theirs".to_owned(), theirs)]);
        let noon = d(2026, 11, 25).and_hms_opt(12, 0, 0).unwrap().and_utc();
        let calendar = Calendar::new(noon, HashMap::new());
        (Fixture { sites, writable: HashSet::from([mine]), calendar }, mine, theirs)
    }

    fn ctx(f: &Fixture, unit: MeasureUnit) -> Context<'_> {
        Context {
            unit,
            frequency: MeasureFrequency::Monthly,
            calendar: &f.calendar,
            closed_from: None,
            sites: &f.sites,
            writable: &f.writable,
        }
    }

    fn row(site: &str, period: NaiveDate, value: Option<f64>, num: Option<f64>, den: Option<f64>) -> RawRow {
        RawRow {
            site: site.into(),
            period_start: Ok(period),
            value,
            numerator: num,
            denominator: den,
            note: None,
            unreadable: false,
        }
    }

    fn fields(errors: &[FieldError]) -> Vec<String> {
        errors.iter().map(|e| e.field.join(".")).collect()
    }

    #[test]
    fn a_good_proportion_gets_its_value() {
        let (f, mine, _) = fixture();
        let rows = check_batch(
            vec![row("mine", d(2026, 1, 1), None, Some(3.0), Some(4.0))],
            &ctx(&f, MeasureUnit::Proportion),
            "observations",
            0,
        )
        .unwrap();
        assert_eq!(rows[0].site_id, mine);
        assert_eq!(rows[0].value, Some(0.75));
    }

    #[test]
    fn every_bad_row_is_reported_by_index_and_field() {
        let (f, _, _) = fixture();
        let rows = vec![
            row("mine", d(2026, 1, 1), None, Some(5.0), Some(4.0)),
            row("theirs", d(2026, 1, 1), None, Some(1.0), Some(4.0)),
            row("nowhere", d(2026, 1, 2), None, Some(1.0), None),
            row("mine", d(2027, 1, 1), None, Some(1.0), Some(1.0)),
            RawRow {
                site: "mine".into(),
                period_start: Err("01/02/2026".into()),
                value: None,
                numerator: None,
                denominator: None,
                note: None,
                unreadable: false,
            },
        ];
        let errors = check_batch(rows, &ctx(&f, MeasureUnit::Proportion), "observations", 0).unwrap_err();
        assert_eq!(
            fields(&errors),
            vec![
                "input.observations.0.numerator",
                "input.observations.1.site",
                "input.observations.2.site",
                "input.observations.2.periodStart",
                "input.observations.2.denominator",
                "input.observations.3.periodStart",
                "input.observations.4.periodStart",
                "input.observations.4.numerator",
            ]
        );
    }

    #[test]
    fn zero_denominators_are_kept_without_a_value() {
        let (f, _, _) = fixture();
        let rows = check_batch(
            vec![row("mine", d(2026, 1, 1), None, Some(0.0), Some(0.0))],
            &ctx(&f, MeasureUnit::Proportion),
            "o",
            0,
        )
        .unwrap();
        assert_eq!(rows[0].value, None);
    }

    #[test]
    fn counts_are_whole_and_continuous_values_are_required() {
        let (f, _, _) = fixture();
        assert!(
            check_batch(
                vec![row("mine", d(2026, 1, 1), Some(2.5), None, None)],
                &ctx(&f, MeasureUnit::Count),
                "o",
                0
            )
            .is_err()
        );
        assert!(
            check_batch(
                vec![row("mine", d(2026, 1, 1), Some(-1.0), None, None)],
                &ctx(&f, MeasureUnit::Count),
                "o",
                0
            )
            .is_err()
        );
        assert!(
            check_batch(
                vec![row("mine", d(2026, 1, 1), None, None, None)],
                &ctx(&f, MeasureUnit::Continuous),
                "o",
                0
            )
            .is_err()
        );
        assert!(
            check_batch(
                vec![row("mine", d(2026, 1, 1), Some(f64::NAN), None, None)],
                &ctx(&f, MeasureUnit::Continuous),
                "o",
                0
            )
            .is_err()
        );
        assert!(
            check_batch(
                vec![row("mine", d(2026, 1, 1), Some(-3.5), None, None)],
                &ctx(&f, MeasureUnit::Continuous),
                "o",
                0
            )
            .is_ok()
        );
    }

    #[test]
    fn the_same_site_and_period_twice_is_refused() {
        let (f, _, _) = fixture();
        let rows = vec![
            row("mine", d(2026, 1, 1), Some(1.0), None, None),
            row("mine", d(2026, 1, 1), Some(2.0), None, None),
        ];
        let errors = check_batch(rows, &ctx(&f, MeasureUnit::Count), "observations", 0).unwrap_err();
        assert_eq!(fields(&errors), vec!["input.observations.1.periodStart"]);
    }

    #[test]
    fn empty_and_oversized_batches_are_refused() {
        let (f, _, _) = fixture();
        assert!(check_batch(vec![], &ctx(&f, MeasureUnit::Count), "o", 0).is_err());
        let many = vec![row("mine", d(2026, 1, 1), Some(1.0), None, None); MAX_ROWS + 1];
        let errors = check_batch(many, &ctx(&f, MeasureUnit::Count), "o", 0).unwrap_err();
        assert_eq!(errors.len(), 1);
    }
}
