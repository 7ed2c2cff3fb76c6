//! CSV out: the import layout (`site,period_start,value,numerator,denominator,note`, `site` the
//! host institution's slug), which `csv_import` reads back, and the table layout for analysis
//! tools.

use std::collections::HashMap;

use entity::observation;
use uuid::Uuid;

pub const COLUMNS: [&str; 6] = ["site", "period_start", "value", "numerator", "denominator", "note"];

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
    fn the_import_layout_reads_back_as_written() {
        let site = Uuid::now_v7();
        let mut row = crate::measures::service::blank(Uuid::now_v7(), chrono::Utc::now());
        row.name = "unused".into();
        let stored = observation::Model {
            id: Uuid::now_v7(),
            measure_id: row.id,
            site_id: site,
            period_start: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            value: Some(0.75),
            numerator: Some(3.0),
            denominator: Some(4.0),
            note: Some("late, \"but\" complete".into()),
            recorded_by_user_id: None,
            recorded_by_token_id: None,
            recorded_at: chrono::Utc::now(),
            first_recorded_at: None,
            arrival: observation::Arrival::BulkEntry,
            voided_at: None,
            void_reason: None,
        };
        let text =
            export(std::slice::from_ref(&stored), &HashMap::from([(site, "northgate".to_owned())])).unwrap();
        let upload = crate::measures::csv_import::parse(text.as_bytes()).unwrap();
        assert!(upload.problems.is_empty());
        let read = &upload.rows[0].row;
        assert_eq!(read.site, "northgate");
        assert_eq!(read.period_start, Ok(stored.period_start));
        assert_eq!((read.value, read.numerator, read.denominator), (None, Some(3.0), Some(4.0)));
        assert_eq!(read.note, stored.note);
    }
}
