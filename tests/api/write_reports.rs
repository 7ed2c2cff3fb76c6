//! Honest write reports: a call says what it created, updated and left unchanged; an identical
//! re-send writes nothing (not even `recordedAt`); a dry run reports the same and writes nothing,
//! for rows in a request and for a CSV file.

use chrono::{Duration, NaiveDate};
use entity::observation;
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};

use crate::db_test;
use crate::helpers::*;
use crate::results_fixtures::*;

const RECORD_REPORT: &str = "mutation($input: RecordObservationsInput!) {
  recordObservations(input: $input) { recordedCount created updated unchanged dryRun userErrors { field code } }
}";

fn report(written: i64, created: i64, updated: i64, unchanged: i64, dry_run: bool) -> Value {
    json!({ "recordedCount": written, "created": created, "updated": updated, "unchanged": unchanged,
            "dryRun": dry_run, "userErrors": [] })
}

/// Rows for the `weeks` weeks up to `end` at the project's site, numerator from the week.
fn rows(end: NaiveDate, a: &Active, weeks: i64, numerator: impl Fn(i64) -> f64) -> Vec<Value> {
    (0..weeks)
        .map(|w| {
            let period = end - Duration::weeks(w);
            json!({ "site": a.setup.site.id, "periodStart": period.to_string(), "numerator": numerator(w), "denominator": 20.0 })
        })
        .collect()
}

async fn send(app: &TestApp, a: &Active, rows: Vec<Value>, dry_run: bool) -> Value {
    let input = json!({ "measureId": a.measure, "observations": rows, "dryRun": dry_run });
    let body = app.graphql(RECORD_REPORT, json!({ "input": input }), Some(&a.setup.bid.lead_token)).await;
    body["data"]["recordObservations"].clone()
}

async fn stored(app: &TestApp) -> Vec<observation::Model> {
    observation::Entity::find()
        .order_by_asc(observation::Column::PeriodStart)
        .all(app.db.conn())
        .await
        .unwrap()
}

db_test! {
    async fn each_call_reports_what_it_created_updated_and_left_alone(app) {
        let a = active_project(&app).await;
        // Fixed once: the clock moves during the test, the weeks sent must not.
        let end = app.last_monday();
        let audits = count_rows(&app, "audit_events").await;

        assert_eq!(send(&app, &a, rows(end, &a, 3, |w| w as f64), true).await, report(3, 3, 0, 0, true));
        assert_eq!(count_rows(&app, "observations").await, 0, "a dry run writes nothing");
        assert_eq!(count_rows(&app, "audit_events").await, audits, "nor audits anything");

        assert_eq!(send(&app, &a, rows(end, &a, 3, |w| w as f64), false).await, report(3, 3, 0, 0, false));
        let before = stored(&app).await;
        assert_eq!(before.len(), 3);
        let audits = count_rows(&app, "audit_events").await;

        // An identical re-send changes nothing, not even when it was recorded.
        app.clock.advance(Duration::minutes(5));
        assert_eq!(send(&app, &a, rows(end, &a, 3, |w| w as f64), false).await, report(0, 0, 0, 3, false));
        assert_eq!(stored(&app).await, before);
        assert_eq!(count_rows(&app, "audit_events").await, audits, "nothing written, nothing audited");

        // One row changed, one new period, two identical.
        let mut next = rows(end, &a, 4, |w| w as f64);
        next[0]["numerator"] = json!(9.0);
        assert_eq!(send(&app, &a, next.clone(), true).await, report(2, 1, 1, 2, true));
        assert_eq!(stored(&app).await, before, "the dry run left every row as it was");
        assert_eq!(send(&app, &a, next, false).await, report(2, 1, 1, 2, false));
        let after = stored(&app).await;
        assert_eq!(after.len(), 4);
        let changed = after.iter().find(|o| o.period_start == end).unwrap();
        assert_eq!(changed.numerator, Some(9.0));
        assert!(changed.recorded_at > before.iter().find(|o| o.id == changed.id).unwrap().recorded_at);
        for untouched in before.iter().filter(|o| o.period_start != end) {
            assert_eq!(after.iter().find(|o| o.id == untouched.id), Some(untouched));
        }
        // A refused call reports nothing, dry run or not.
        let mut bad = rows(end, &a, 1, |_| 5.0);
        bad[0]["numerator"] = json!(50.0);
        let refused = send(&app, &a, bad, true).await;
        assert_eq!((refused["recordedCount"].clone(), refused["dryRun"].clone()), (json!(0), json!(true)));
        assert_eq!(user_error_codes(&refused), vec!["INVALID"], "{refused}");
    }
}

db_test! {
    async fn a_csv_dry_run_reports_the_file_and_writes_nothing(app) {
        let a = active_project(&app).await;
        let mut csv = String::from("site,period_start,value,numerator,denominator,note\n");
        for w in 0..3 {
            let period = app.last_monday() - Duration::weeks(w);
            csv.push_str(&format!("{},{period},,{},20,\n", a.setup.site.id, 10 + w));
        }
        let upload = |dry_run: bool| {
            let operations = json!({
                "query": "mutation($file: Upload!, $m: ID!, $dry: Boolean!) { importObservationsCsv(input: {measureId: $m, file: $file, dryRun: $dry}) { recordedCount created updated unchanged dryRun userErrors { field code } } }",
                "variables": { "file": null, "m": a.measure, "dry": dry_run },
            });
            reqwest::multipart::Form::new()
                .text("operations", operations.to_string())
                .text("map", r#"{"0": ["variables.file"]}"#)
                .part("0", reqwest::multipart::Part::bytes(csv.clone().into_bytes()).file_name("weeks.csv"))
        };
        for (dry_run, expected, rows) in [(true, report(3, 3, 0, 0, true), 0), (false, report(3, 3, 0, 0, false), 3), (false, report(0, 0, 0, 3, false), 3)] {
            let response = app.client.post(app.url("/graphql")).bearer_auth(&a.setup.bid.lead_token).multipart(upload(dry_run)).send().await.unwrap();
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["data"]["importObservationsCsv"], expected, "{body}");
            assert_eq!(count_rows(&app, "observations").await, rows);
        }
    }
}
