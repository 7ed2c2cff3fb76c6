//! Data flow measured from what arrives: completeness, timeliness and the integrated share per
//! measure and site, pooled per project and programme, on a known arrival history, including a
//! late correction that must not move "first recorded" or how a row first arrived.

use chrono::{Datelike, Months, NaiveDate};
use serde_json::{Value, json};

use crate::db_test;
use crate::project_fixtures::*;

const CREATE_MEASURE: &str = "mutation($input: CreateMeasureInput!) {
  createMeasure(input: $input) { measure { id } userErrors { field code message } }
}";
const RECORD: &str = "mutation($m: ID!, $rows: [ObservationInput!]!) {
  recordObservations(input: {measureId: $m, observations: $rows}) { recordedCount userErrors { field code message } }
}";
const FIGURES: &str = "expectedPeriods recordedPeriods completeness medianDaysToFirstRecord integrationShare
  observations arrivals { arrival observations }";

fn month_start(day: NaiveDate, back: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(day.year(), day.month(), 1)
        .unwrap()
        .checked_sub_months(Months::new(back))
        .unwrap()
}

fn months_between(from: NaiveDate, to: NaiveDate) -> i64 {
    i64::from(to.year() - from.year()) * 12 + i64::from(to.month()) - i64::from(from.month())
}

fn rows(site: &str, periods: &[NaiveDate], value: f64) -> Value {
    periods.iter().map(|p| json!({ "site": site, "periodStart": p.to_string(), "value": value })).collect()
}

fn arrivals(figures: &Value) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = figures["arrivals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["arrival"].as_str().unwrap().to_owned(), a["observations"].as_i64().unwrap()))
        .collect();
    out.sort();
    out
}

db_test! {
    async fn completeness_timeliness_and_integration_from_a_known_history(app) {
        let setup = setup(&app).await;
        let second = answered_site(&app, &setup.bid, true).await;
        let lead = &setup.bid.lead_token;
        let input = json!({
            "projectId": setup.bid.project, "name": "Falls per 1,000 bed days",
            "operationalDefinition": "Incident reports over bed days", "kind": "OUTCOME", "unit": "RATE",
            "direction": "LOWER_IS_BETTER", "frequency": "MONTHLY",
            "collectionMethod": "MIXED", "minutesPerSitePerPeriod": 60.0,
        });
        let measure = ok(&app, lead, CREATE_MEASURE, json!({ "input": input })).await["measure"]["id"]
            .as_str().unwrap().to_owned();
        let today = app.clock.today();
        let periods: Vec<NaiveDate> = (1..=3).rev().map(|back| month_start(today, back)).collect();

        // The first site's system sends three months through a token; at the second, a person
        // types one month in, then sends two at once.
        let script = api_token(&app, lead, "READ_WRITE").await;
        ok(&app, &script, RECORD, json!({ "m": measure, "rows": rows(&setup.site.id, &periods, 2.0) })).await;
        ok(&app, lead, RECORD, json!({ "m": measure, "rows": rows(&second.id, &periods[..1], 3.0) })).await;
        ok(&app, lead, RECORD, json!({ "m": measure, "rows": rows(&second.id, &periods[1..], 3.0) })).await;
        // A later correction by a person of a row the system sent (within the access token's
        // quarter of an hour).
        app.clock.advance(chrono::Duration::minutes(14));
        ok(&app, lead, RECORD, json!({ "m": measure, "rows": rows(&setup.site.id, &periods[..1], 2.5) })).await;
        let observations = "query($m: ID!, $s: ID!) { node(id: $m) { ... on Measure {
            observations(siteId: $s, first: 1) { edges { node { value recordedAt firstRecordedAt arrival } } } } } }";
        let body = app.graphql(observations, json!({ "m": measure, "s": setup.site.id }), Some(lead)).await;
        let corrected = &body["data"]["node"]["observations"]["edges"][0]["node"];
        assert_eq!(corrected["value"], json!(2.5), "{body}");
        assert_eq!(corrected["arrival"], json!("INTEGRATION_TOKEN"));
        let at = |field: &str| chrono::DateTime::parse_from_rfc3339(corrected[field].as_str().unwrap()).unwrap();
        assert!(at("recordedAt") - at("firstRecordedAt") >= chrono::Duration::minutes(14), "{corrected}");

        let query = format!("query($p: ID!) {{ project(id: $p) {{ dataFlow {{
            flow {{ {FIGURES} }} forecastHoursPerWeek
            measures {{ measureName forecastHoursPerWeek flow {{ {FIGURES} }} sites {{ siteId flow {{ {FIGURES} }} }} }}
        }} }} }}");
        let body = app.graphql(&query, json!({ "p": setup.bid.project }), Some(lead)).await;
        let flow = &body["data"]["project"]["dataFlow"];
        let pooled = &flow["flow"];
        // Expected from the earliest period sent (before the measure was defined) to the last
        // month that has ended, at both sites.
        let per_site = months_between(periods[0], app.clock.today());
        assert_eq!(pooled["expectedPeriods"], json!(2 * per_site), "{body}");
        assert_eq!(pooled["recordedPeriods"], json!(6));
        assert!((pooled["completeness"].as_f64().unwrap() - 6.0 / (2 * per_site) as f64).abs() < 1e-9);
        // Each month was first recorded today: lags from each month's end, the correction aside.
        let lags: Vec<i64> = periods.iter().map(|p| (today - p.checked_add_months(Months::new(1)).unwrap()).num_days()).collect();
        assert_eq!(pooled["medianDaysToFirstRecord"].as_f64(), Some(lags[1] as f64), "{pooled}");
        assert_eq!(pooled["integrationShare"].as_f64(), Some(0.5));
        assert_eq!(
            arrivals(pooled),
            vec![("BULK_ENTRY".to_owned(), 2), ("INTEGRATION_TOKEN".to_owned(), 3), ("SINGLE_ENTRY".to_owned(), 1)],
            "the correction keeps the row's first arrival"
        );
        let sites = flow["measures"][0]["sites"].as_array().unwrap();
        let first = sites.iter().find(|s| s["siteId"] == json!(setup.site.id)).unwrap();
        assert_eq!(first["flow"]["integrationShare"].as_f64(), Some(1.0));
        assert_eq!(first["flow"]["medianDaysToFirstRecord"].as_f64(), Some(lags[1] as f64));
        let forecast = 60.0 * 2.0 * 12.0 / 52.0 / 60.0;
        assert!((flow["forecastHoursPerWeek"].as_f64().unwrap() - forecast).abs() < 1e-9, "{flow}");
        assert!((flow["measures"][0]["forecastHoursPerWeek"].as_f64().unwrap() - forecast).abs() < 1e-9);

        // The programme's funder sees the same figures once the bid is submitted.
        advance(&app, &setup, "SUBMITTED").await;
        let query = format!("query($id: ID!) {{ node(id: $id) {{ ... on Programme {{ evaluation {{ dataFlow {{
            flow {{ {FIGURES} }} projects {{ projectTitle forecastHoursPerWeek flow {{ recordedPeriods integrationShare }} }}
        }} }} }} }} }}");
        let body = app.graphql(&query, json!({ "id": setup.funding.programme }), Some(&setup.funding.funder_token)).await;
        let programme = &body["data"]["node"]["evaluation"]["dataFlow"];
        assert_eq!(programme["flow"]["recordedPeriods"], json!(6), "{body}");
        assert_eq!(programme["projects"][0]["flow"]["integrationShare"].as_f64(), Some(0.5));
    }
}

db_test! {
    async fn the_demo_shows_an_integrated_site_beside_one_typing_in_late(app) {
        let world = springboard::demo::seed(&app.db, &app.address).await.unwrap().unwrap();
        let payload = app.sign_in_payload("admin@royal-college-acute-care.example.org", &world.password, None).await;
        let lead = payload["tokens"]["accessToken"].as_str().unwrap().to_owned();
        let query = "{ projects(filter: {statuses: [ACTIVE]}) { edges { node { dataFlow {
            flow { integrationShare completeness }
            measures { sites { flow { medianDaysToFirstRecord integrationShare } } }
        } } } } }";
        let body = app.graphql(query, json!({}), Some(&lead)).await;
        let flow = &body["data"]["projects"]["edges"][0]["node"]["dataFlow"];
        let share = flow["flow"]["integrationShare"].as_f64().unwrap();
        assert!((share - 0.5).abs() < 0.05, "about half arrives through the token: {flow}");
        let sites = flow["measures"][0]["sites"].as_array().unwrap();
        let medians: Vec<f64> = sites.iter().map(|s| s["flow"]["medianDaysToFirstRecord"].as_f64().unwrap()).collect();
        assert!(medians.contains(&3.0) && medians.contains(&27.0), "{flow}");
    }
}
