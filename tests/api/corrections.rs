//! Corrections: voiding a range of periods takes the rows out of the chart, the verdict and the
//! export, keeps them in the history with their reason, and the audit event keeps every changed
//! row's old and new values (for voids and for ordinary writes); sending a period again brings
//! it back.

use chrono::Duration;
use entity::institution::InstitutionKind;
use entity::membership::Role;
use serde_json::{Value, json};

use crate::db_test;
use crate::helpers::*;
use crate::project_fixtures::{institution_id, problem, problems};
use crate::results_fixtures::*;

const VOID: &str = "mutation($input: VoidObservationsInput!) {
  voidObservations(input: $input) { voidedCount dryRun userErrors { field code message } }
}";
const STATE: &str = "query($m: ID!) { node(id: $m) { ... on Measure {
  analysis { verdict { verdict } spc { points { value } } }
  observations(first: 100) { totalCount }
  history: observations(first: 100, includeVoided: true) { totalCount edges { node { periodStart voidedAt voidReason } } }
  observationsCsv
} } }";
const AUDIT: &str =
    "{ viewer { institution { auditEvents(last: 3) { edges { node { action details } } } } } }";

async fn void(app: &TestApp, token: &str, input: Value) -> Value {
    app.graphql(VOID, json!({ "input": input }), Some(token)).await["data"]["voidObservations"].clone()
}

async fn last_audit(app: &TestApp, token: &str) -> (String, Value) {
    let body = app.graphql(AUDIT, json!({}), Some(token)).await;
    let edges = body["data"]["viewer"]["institution"]["auditEvents"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .clone();
    let node = &edges.last().unwrap()["node"];
    let details = node["details"].as_str().map(|d| serde_json::from_str(d).unwrap()).unwrap_or(Value::Null);
    (node["action"].as_str().unwrap().to_owned(), details)
}

db_test! {
    async fn a_voided_range_leaves_the_chart_and_the_verdict_and_stays_in_the_history(app) {
        let a = active_project(&app).await;
        stable_then_shift(&app, &a, true).await;
        let lead = &a.setup.bid.lead_token;
        let before = app.graphql(STATE, json!({ "m": a.measure }), Some(lead)).await;
        assert_eq!(before["data"]["node"]["analysis"]["verdict"]["verdict"], json!("IMPROVING"), "{before}");
        let end = app.last_monday();
        let range = json!({ "measureId": a.measure, "from": (end - Duration::weeks(11)).to_string(), "to": end.to_string(), "reason": "wrong audit tool" });

        let mut dry = range.clone();
        dry["dryRun"] = json!(true);
        assert_eq!(void(&app, lead, dry).await, json!({ "voidedCount": 12, "dryRun": true, "userErrors": [] }));
        let unchanged = app.graphql(STATE, json!({ "m": a.measure }), Some(lead)).await;
        assert_eq!(unchanged, before, "a dry run changes nothing");

        assert_eq!(void(&app, lead, range.clone()).await, json!({ "voidedCount": 12, "dryRun": false, "userErrors": [] }));
        let after = app.graphql(STATE, json!({ "m": a.measure }), Some(lead)).await;
        let node = &after["data"]["node"];
        assert_eq!(node["analysis"]["verdict"]["verdict"], json!("NO_SIGNAL"), "{after}");
        assert_eq!(node["analysis"]["spc"]["points"].as_array().unwrap().len(), 20);
        assert_eq!(node["observations"]["totalCount"], json!(20));
        assert_eq!(node["observationsCsv"].as_str().unwrap().lines().count(), 21, "the export leaves them out");
        assert_eq!(node["history"]["totalCount"], json!(32), "the history keeps them");
        let voided: Vec<&Value> = node["history"]["edges"].as_array().unwrap().iter().filter(|e| !e["node"]["voidedAt"].is_null()).collect();
        assert_eq!(voided.len(), 12);
        assert!(voided.iter().all(|e| e["node"]["voidReason"] == json!("wrong audit tool")));

        let (action, details) = last_audit(&app, lead).await;
        assert_eq!(action, "observation.void");
        assert_eq!(details["reason"], json!("wrong audit tool"));
        let rows = details["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 12);
        assert_eq!(rows[0]["old"], json!({ "value": 0.95, "numerator": 19.0, "denominator": 20.0, "note": null, "voided": null }), "{}", rows[0]);
        assert_eq!(rows[0]["new"]["voided"], json!("wrong audit tool"));

        // Voiding again finds nothing left to void.
        assert_eq!(void(&app, lead, range).await["voidedCount"], json!(0));

        // Sending a voided period again brings it back, reported as created; the audit keeps the
        // voided old values and the new ones.
        let rows = json!([{ "site": a.setup.site.id, "periodStart": end.to_string(), "numerator": 10.0, "denominator": 20.0 }]);
        let report = app.graphql("mutation($input: RecordObservationsInput!) { recordObservations(input: $input) { created updated unchanged } }",
            json!({ "input": { "measureId": a.measure, "observations": rows } }), Some(lead)).await;
        assert_eq!(report["data"]["recordObservations"], json!({ "created": 1, "updated": 0, "unchanged": 0 }), "{report}");
        let (action, details) = last_audit(&app, lead).await;
        assert_eq!(action, "observation.record");
        assert_eq!(details["rows"][0]["old"]["voided"], json!("wrong audit tool"));
        assert_eq!(details["rows"][0]["new"], json!({ "value": 0.5, "numerator": 10.0, "denominator": 20.0, "note": null, "voided": null }));
        let restored = app.graphql(STATE, json!({ "m": a.measure }), Some(lead)).await;
        assert_eq!(restored["data"]["node"]["observations"]["totalCount"], json!(21));
    }
}

db_test! {
    async fn voids_are_checked_and_confined_to_what_the_actor_may_write(app) {
        let a = active_project(&app).await;
        stable_then_shift(&app, &a, false).await;
        let lead = &a.setup.bid.lead_token;
        let end = app.last_monday().to_string();
        let input = |extra: Value| {
            let mut input = json!({ "measureId": a.measure, "from": app.day(-400), "to": end, "reason": "duplicate upload" });
            for (k, v) in extra.as_object().unwrap() {
                input[k] = v.clone();
            }
            input
        };
        let blank = void(&app, lead, input(json!({ "reason": "  " }))).await;
        assert_eq!(problems(&blank), problem("input.reason", "REQUIRED"), "{blank}");
        let backwards = void(&app, lead, input(json!({ "from": end, "to": app.day(-30) }))).await;
        assert_eq!(problems(&backwards), problem("input.to", "INVALID"), "{backwards}");
        let long = void(&app, lead, input(json!({ "reason": "x".repeat(501) }))).await;
        assert_eq!(user_error_codes(&long), vec!["INVALID"], "{long}");
        let other = app.institution(InstitutionKind::HostInstitution).await;
        let elsewhere = void(&app, lead, input(json!({ "site": institution_id(other) }))).await;
        assert_eq!(problems(&elsewhere), problem("input.site", "NOT_FOUND"), "{elsewhere}");

        let viewer = app.token(a.setup.bid.college, Role::Viewer).await;
        let body = app.graphql(VOID, json!({ "input": input(json!({})) }), Some(&viewer)).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
        let (_, outsider) = party(&app, InstitutionKind::RoyalCollege).await;
        let hidden = void(&app, &outsider, input(json!({}))).await;
        assert_eq!(problems(&hidden), problem("input.measureId", "NOT_FOUND"), "{hidden}");
        assert_eq!(count_rows(&app, "observations").await, 20);

        // The host voids its own site's rows.
        let own = void(&app, &a.setup.site.token, input(json!({ "site": a.setup.site.id }))).await;
        assert_eq!(own["voidedCount"], json!(20), "{own}");
    }
}
