//! CSV in and out. Columns: `site,period_start,value,numerator,denominator,note`; `site` is the
//! host institution's slug (or a ProjectSite ID). Blank cells are absent values. Errors name the
//! file line (the header is line 1).

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::observation;
use uuid::Uuid;

use super::validate::RawRow;
use crate::error::{FieldError, UserErrorCode};

pub const COLUMNS: [&str; 6] = ["site", "period_start", "value", "numerator", "denominator", "note"];

/// Parses a CSV file into rows; the first data row is file line 2.
pub fn parse(bytes: &[u8]) -> Result<Vec<RawRow>, Vec<FieldError>> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(false).from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| vec![file_error("1", format!("the header cannot be read: {e}"))])?
        .clone();
    let position: HashMap<&str, usize> = header.iter().enumerate().map(|(i, name)| (name, i)).collect();
    let missing: Vec<&str> =
        ["site", "period_start"].into_iter().filter(|c| !position.contains_key(c)).collect();
    if !missing.is_empty() {
        return Err(vec![file_error(
            "1",
            format!("the header lacks {}; expected {}", missing.join(", "), COLUMNS.join(",")),
        )]);
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                errors.push(file_error(&line.to_string(), format!("unreadable line: {e}")));
                continue;
            }
        };
        let cell = |name: &str| position.get(name).and_then(|i| record.get(*i)).filter(|v| !v.is_empty());
        let mut number = |name: &str| -> Option<f64> {
            let text = cell(name)?;
            match text.parse::<f64>() {
                Ok(v) => Some(v),
                Err(_) => {
                    errors.push(FieldError::new(
                        &format!("file.{line}.{name}"),
                        UserErrorCode::Invalid,
                        format!("`{text}` is not a number"),
                    ));
                    None
                }
            }
        };
        let (value, numerator, denominator) = (number("value"), number("numerator"), number("denominator"));
        let period = cell("period_start").unwrap_or_default();
        rows.push(RawRow {
            site: cell("site").unwrap_or_default().to_owned(),
            period_start: NaiveDate::parse_from_str(period, "%Y-%m-%d").map_err(|_| period.to_owned()),
            value,
            numerator,
            denominator,
            note: cell("note").map(str::to_owned),
        });
    }
    if errors.is_empty() { Ok(rows) } else { Err(errors) }
}

fn file_error(line: &str, message: String) -> FieldError {
    FieldError::new(&format!("file.{line}"), UserErrorCode::Invalid, message)
}

/// Writes observations as CSV, oldest period first, in the import format.
pub fn export(rows: &[observation::Model], slug_of: &HashMap<Uuid, String>) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(COLUMNS)?;
    let number = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for row in rows {
        let site = slug_of.get(&row.site_id).cloned().unwrap_or_else(|| row.site_id.to_string());
        writer.write_record([
            site,
            row.period_start.to_string(),
            number(if row.numerator.is_some() { None } else { row.value }),
            number(row.numerator),
            number(row.denominator),
            row.note.clone().unwrap_or_default(),
        ])?;
    }
    let bytes = writer.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Columns of the table layout: one row per observation, every value filled in, for analysis
/// tools rather than for re-import.
pub const TABLE_COLUMNS: [&str; 8] =
    ["measure_id", "measure", "site", "period_start", "value", "numerator", "denominator", "note"];

/// Observations as a table for Excel, Power BI or R: `measure_id` (the global ID), the measure's
/// name, the site's slug, and `value` filled in for proportions (numerator / denominator).
pub fn table(
    rows: &[(&entity::measure::Model, &observation::Model)],
    slug_of: &HashMap<Uuid, String>,
) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(TABLE_COLUMNS)?;
    let number = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for (measure, row) in rows {
        let site = slug_of.get(&row.site_id).cloned().unwrap_or_else(|| row.site_id.to_string());
        let value = match (row.numerator, row.denominator) {
            (Some(n), Some(d)) if d != 0.0 => Some(n / d),
            _ => row.value,
        };
        writer.write_record([
            crate::ids::global_id(crate::ids::NodeKind::Measure, measure.id),
            measure.name.clone(),
            site,
            row.period_start.to_string(),
            number(value),
            number(row.numerator),
            number(row.denominator),
            row.note.clone().unwrap_or_default(),
        ])?;
    }
    let bytes = writer.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_file_parses_into_rows_with_blank_cells_absent() {
        let text = "site,period_start,value,numerator,denominator,note\nnorthgate,2026-01-01,,3,4,\"late, but complete\"\n";
        let rows = parse(text.as_bytes()).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].site, "northgate");
        assert_eq!(rows[0].value, None);
        assert_eq!(rows[0].numerator, Some(3.0));
        assert_eq!(rows[0].note.as_deref(), Some("late, but complete"));
    }

    #[test]
    fn bad_cells_are_reported_by_line_and_column() {
        let text = "site,period_start,value\nnorthgate,2026-01-01,abc\nnorthgate,01/02/2026,1\n";
        let errors = parse(text.as_bytes()).unwrap_err();
        assert_eq!(errors[0].field, vec!["input", "file", "2", "value"]);
        let missing_header = parse(b"where,when\nx,y\n").unwrap_err();
        assert_eq!(missing_header[0].field, vec!["input", "file", "1"]);
        let ragged = parse(b"site,period_start\nx\n").unwrap_err();
        assert_eq!(ragged[0].field, vec!["input", "file", "2"]);
    }
}
