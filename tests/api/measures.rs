//! Measures and observations: bulk ingestion over HTTP, CSV in and out, analysis, and their
//! isolation.

use chrono::{Datelike, Duration, NaiveDate};
use entity::institution::InstitutionKind;
use entity::membership::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::db_test;
use crate::helpers::*;

const RECORD: &str = "mutation($input: RecordObservationsInput!) {
  recordObservations(input: $input) { recordedCount userErrors { field code message } }
}";
const CREATE_MEASURE: &str = "mutation($input: CreateMeasureInput!) {
  createMeasure(input: $input) { measure { id } userErrors { field code message } }
}";
const ANALYSIS: &str = "query($m: ID!, $s: ID) { node(id: $m) { ... on Measure {
  analysis(siteId: $s) { verdict { verdict signals { rule effect } } variation spc { kind points { value } } runChart { median } }
} } }";

/// A college's project with two accepted host sites, and a writer token for each party.
struct World {
    lead: String,
    north: String,
    south: String,
    north_slug: String,
    south_site: String,
    project: String,
}

async fn world(app: &TestApp) -> World {
    let college = app.institution(InstitutionKind::RoyalCollege).await;
    let north = app.institution(InstitutionKind::HostInstitution).await;
    let south = app.institution(InstitutionKind::HostInstitution).await;
    let (lead, north_token, south_token) = (
        app.token(college, Role::Member).await,
        app.token(north, Role::Member).await,
        app.token(south, Role::Admin).await,
    );
    let project = app
        .graphql(
            "mutation { createProject(input: {title: \"Falls\", aimStatement: \"Fewer falls\", clinicalArea: \"Elderly care\"}) { project { id } } }",
            json!({}),
            Some(&lead),
        )
        .await["data"]["createProject"]["project"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut sites = Vec::new();
    for (host, token) in [(north, &north_token), (south, &south_token)] {
        let add = "mutation($p: ID!, $i: ID!) { addProjectSite(input: {projectId: $p, institutionId: $i}) { site { id } } }";
        let site = app
            .graphql(add, json!({ "p": project, "i": global_id("Institution", host) }), Some(&lead))
            .await["data"]["addProjectSite"]["site"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let accept = "mutation($s: ID!) { respondToProjectSite(input: {siteId: $s, accept: true}) { site { status } } }";
        app.graphql(accept, json!({ "s": site }), Some(token)).await;
        sites.push(site);
    }
    let directory = app
        .graphql(
            "{ institutionDirectory(kind: HOST_INSTITUTION, first: 100) { edges { node { id slug } } } }",
            json!({}),
            Some(&lead),
        )
        .await;
    let slug_of = |id: Uuid| {
        directory["data"]["institutionDirectory"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["node"]["id"] == json!(global_id("Institution", id)))
            .map(|e| e["node"]["slug"].as_str().unwrap().to_owned())
            .unwrap()
    };
    World {
        north_slug: slug_of(north),
        lead,
        north: north_token,
        south: south_token,
        south_site: sites[1].clone(),
        project,
    }
}

async fn measure(app: &TestApp, w: &World, unit: &str, frequency: &str, direction: &str) -> String {
    let input = json!({
        "projectId": w.project, "name": "Falls per 1,000 bed days", "operationalDefinition": "Datix falls / bed days",
        "kind": "OUTCOME", "unit": unit, "direction": direction, "frequency": frequency,
    });
    let body = app.graphql(CREATE_MEASURE, json!({ "input": input }), Some(&w.lead)).await;
    body["data"]["createMeasure"]["measure"]["id"].as_str().unwrap_or_else(|| panic!("{body}")).to_owned()
}

/// `weeks` consecutive Mondays ending last Monday, at `sites`, each a proportion.
fn weekly_rows(end: NaiveDate, sites: &[&str], weeks: i64, numerator: impl Fn(i64) -> f64) -> Vec<Value> {
    let mut rows = Vec::new();
    for site in sites {
        for week in 0..weeks {
            let period = end - Duration::weeks(weeks - 1 - week);
            rows.push(json!({ "site": site, "periodStart": period.to_string(), "numerator": numerator(week), "denominator": 20.0 }));
        }
    }
    rows
}

async fn record(app: &TestApp, token: &str, measure: &str, rows: Vec<Value>) -> Value {
    let body = app
        .graphql(RECORD, json!({ "input": { "measureId": measure, "observations": rows } }), Some(token))
        .await;
    body["data"]["recordObservations"].clone()
}

db_test! {
    async fn ten_thousand_rows_go_in_at_once_and_re_sending_updates_them(app) {
        let w = world(&app).await;
        let m = measure(&app, &w, "PROPORTION", "WEEKLY", "LOWER_IS_BETTER").await;
        let rows = weekly_rows(app.last_monday(), &[&w.north_slug, &w.south_site], 5_000, |week| (week % 7) as f64);

        let first = record(&app, &w.lead, &m, rows.clone()).await;
        assert_eq!(first, json!({ "recordedCount": 10_000, "userErrors": [] }));
        assert_eq!(count_rows(&app, "observations").await, 10_000);

        // 7 is none of the first values (week % 7), so every row changes.
        let changed: Vec<Value> = rows.into_iter().map(|mut r| { r["numerator"] = json!(7.0); r }).collect();
        let again = record(&app, &w.lead, &m, changed).await;
        assert_eq!(again["recordedCount"], json!(10_000));
        assert_eq!(count_rows(&app, "observations").await, 10_000, "no duplicates");
        let csv = app.graphql("query($m: ID!) { node(id: $m) { ... on Measure { observationsCsv } } }", json!({ "m": m }), Some(&w.lead)).await;
        let text = csv["data"]["node"]["observationsCsv"].as_str().unwrap();
        assert_eq!(text.lines().count(), 10_001);
        assert!(text.lines().skip(1).all(|line| line.contains(",7,20,")), "every row updated");
    }
}

db_test! {
    async fn one_bad_row_rejects_the_batch_and_is_named_by_index(app) {
        let w = world(&app).await;
        let m = measure(&app, &w, "PROPORTION", "WEEKLY", "HIGHER_IS_BETTER").await;
        let mut rows = weekly_rows(app.last_monday(), &[&w.north_slug], 3_000, |_| 5.0);
        rows[2_345]["numerator"] = json!(25.0);
        rows[2_900]["periodStart"] = json!((app.last_monday() + Duration::days(1)).to_string());

        let payload = record(&app, &w.lead, &m, rows).await;
        assert_eq!(payload["recordedCount"], json!(0));
        let fields: Vec<&Value> = payload["userErrors"].as_array().unwrap().iter().map(|e| &e["field"]).collect();
        assert_eq!(fields, vec![&json!(["input", "observations", "2345", "numerator"]), &json!(["input", "observations", "2900", "periodStart"])]);
        assert_eq!(count_rows(&app, "observations").await, 0, "nothing written");
    }
}

db_test! {
    async fn a_day_that_is_not_yyyy_mm_dd_is_refused_naming_its_field_and_the_format(app) {
        let w = world(&app).await;
        let m = measure(&app, &w, "PROPORTION", "WEEKLY", "HIGHER_IS_BETTER").await;
        let mut rows = weekly_rows(app.last_monday(), &[&w.north_slug], 3, |_| 5.0);
        rows[1]["periodStart"] = json!("05/10/2026");
        let body = app.graphql(RECORD, json!({ "input": { "measureId": m, "observations": rows } }), Some(&w.lead)).await;
        assert!(body.get("data").is_none(), "never executed: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("input.observations.1.periodStart") || message.contains("input.observations[1].periodStart"), "{message}");
        assert!(message.contains("expected type \"Date\"") && message.contains("YYYY-MM-DD"), "{message}");
        assert_eq!(count_rows(&app, "observations").await, 0, "nothing written");
    }
}

db_test! {
    async fn a_site_records_for_itself_only_and_a_read_token_not_at_all(app) {
        let w = world(&app).await;
        let m = measure(&app, &w, "COUNT", "MONTHLY", "LOWER_IS_BETTER").await;
        let month = json!(app.this_month().to_string());

        let own = record(&app, &w.south, &m, vec![json!({ "site": w.south_site, "periodStart": month, "value": 3 })]).await;
        assert_eq!(own["recordedCount"], json!(1), "{own}");
        let other = record(&app, &w.south, &m, vec![json!({ "site": w.north_slug, "periodStart": month, "value": 3 })]).await;
        assert_eq!(user_error_codes(&other), vec!["NOT_ELIGIBLE"]);
        assert_eq!(other["userErrors"][0]["field"], json!(["input", "observations", "0", "site"]));

        let admin = app.graphql("mutation { createApiToken(input: {name: \"epr\", scope: READ}) { secret } }", json!({}), Some(&w.south)).await;
        let read = admin["data"]["createApiToken"]["secret"].as_str().unwrap();
        let (status, body) = app
            .graphql_status(RECORD, json!({ "input": { "measureId": m, "observations": [{ "site": w.south_site, "periodStart": month, "value": 1 }] } }), Some(read))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(count_rows(&app, "observations").await, 1);
    }
}

db_test! {
    async fn a_csv_file_imports_and_exports_the_same_rows(app) {
        let w = world(&app).await;
        let m = measure(&app, &w, "PROPORTION", "MONTHLY", "HIGHER_IS_BETTER").await;
        let first = app.this_month();
        let mut csv = String::from("site,period_start,value,numerator,denominator,note\n");
        for back in (1..=3).rev() {
            let month = first.checked_sub_months(chrono::Months::new(back)).unwrap();
            csv.push_str(&format!("{},{month},,{},40,\"audit, week {back}\"\n", w.north_slug, 10 + back));
        }
        let operations = json!({
            "query": "mutation($file: Upload!, $m: ID!) { importObservationsCsv(input: {measureId: $m, file: $file}) { recordedCount userErrors { field message } } }",
            "variables": { "file": null, "m": m },
        });
        let form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text("map", r#"{"0": ["variables.file"]}"#)
            .part("0", reqwest::multipart::Part::bytes(csv.clone().into_bytes()).file_name("falls.csv"));
        let response = app.client.post(app.url("/graphql")).bearer_auth(&w.lead).multipart(form).send().await.unwrap();
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["data"]["importObservationsCsv"], json!({ "recordedCount": 3, "userErrors": [] }), "{body}");

        let exported = app.graphql("query($m: ID!) { node(id: $m) { ... on Measure { observationsCsv } } }", json!({ "m": m }), Some(&w.north)).await;
        assert_eq!(exported["data"]["node"]["observationsCsv"].as_str().unwrap(), csv);

        let bad = csv.replace(",40,", ",4,");
        let form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text("map", r#"{"0": ["variables.file"]}"#)
            .part("0", reqwest::multipart::Part::bytes(bad.into_bytes()).file_name("falls.csv"));
        let response = app.client.post(app.url("/graphql")).bearer_auth(&w.lead).multipart(form).send().await.unwrap();
        let body: Value = response.json().await.unwrap();
        let fields: Vec<Value> = body["data"]["importObservationsCsv"]["userErrors"].as_array().unwrap().iter().map(|e| e["field"].clone()).collect();
        assert_eq!(fields, vec![json!(["input", "file", "2", "numerator"]), json!(["input", "file", "3", "numerator"]), json!(["input", "file", "4", "numerator"])]);
    }
}

db_test! {
    async fn a_sustained_improvement_reads_as_improving_per_site_and_pooled(app) {
        let w = world(&app).await;
        let m = measure(&app, &w, "PROPORTION", "WEEKLY", "HIGHER_IS_BETTER").await;
        // 12 weeks at 5/20 then 12 weeks at 15/20 at the north site; flat at the south.
        let rows: Vec<Value> = weekly_rows(app.last_monday(), &[&w.north_slug], 24, |week| if week < 12 { 5.0 + (week % 2) as f64 } else { 15.0 + (week % 2) as f64 })
            .into_iter()
            .chain(weekly_rows(app.last_monday(), &[&w.south_site], 24, |week| 10.0 + (week % 3) as f64))
            .collect();
        assert_eq!(record(&app, &w.lead, &m, rows).await["recordedCount"], json!(48));

        let north_site = app.graphql("query($p: ID!) { project(id: $p) { sites { id } } }", json!({ "p": w.project }), Some(&w.lead)).await["data"]["project"]["sites"][0]["id"].clone();
        let north = app.graphql(ANALYSIS, json!({ "m": m, "s": north_site }), Some(&w.north)).await;
        let analysis = &north["data"]["node"]["analysis"];
        assert_eq!(analysis["verdict"]["verdict"], json!("IMPROVING"), "{north}");
        assert_eq!(analysis["variation"], json!("IMPROVING_HIGH"), "{north}");
        assert_eq!(analysis["spc"]["kind"], json!("P"));
        assert_eq!(analysis["spc"]["points"].as_array().unwrap().len(), 23, "this week, not yet ended, is left out");
        let south = app.graphql(ANALYSIS, json!({ "m": m, "s": w.south_site }), Some(&w.lead)).await;
        assert_eq!(south["data"]["node"]["analysis"]["verdict"]["verdict"], json!("NO_SIGNAL"), "{south}");
        let pooled = app.graphql(ANALYSIS, json!({ "m": m, "s": null }), Some(&w.lead)).await;
        assert_eq!(pooled["data"]["node"]["analysis"]["verdict"]["verdict"], json!("IMPROVING"), "{pooled}");

        let summary = app.graphql("query($p: ID!) { project(id: $p) { improvement { measures improving showsMeasurableImprovement } } }", json!({ "p": w.project }), Some(&w.lead)).await;
        assert_eq!(summary["data"]["project"]["improvement"], json!({ "measures": 1, "improving": 1, "showsMeasurableImprovement": true }));
    }
}

db_test! {
    async fn measures_and_their_data_are_invisible_outside_the_project(app) {
        let w = world(&app).await;
        let m = measure(&app, &w, "COUNT", "MONTHLY", "LOWER_IS_BETTER").await;
        let outsider_institution = app.institution(InstitutionKind::HostInstitution).await;
        let outsider = app.token(outsider_institution, Role::Admin).await;
        let missing = global_id("Measure", Uuid::now_v7());

        for query in [
            "query($m: ID!) { node(id: $m) { id } }",
            "query($m: ID!) { node(id: $m) { ... on Measure { observationsCsv analysis { verdict { verdict } } } } }",
        ] {
            let hidden = app.graphql(query, json!({ "m": m }), Some(&outsider)).await;
            let absent = app.graphql(query, json!({ "m": missing }), Some(&outsider)).await;
            assert_eq!(hidden, absent);
            assert_eq!(hidden["data"]["node"], Value::Null);
        }
        let month = app.this_month().to_string();
        let rows = json!([{ "site": w.north_slug, "periodStart": month, "value": 1 }]);
        let hidden = app.graphql(RECORD, json!({ "input": { "measureId": m, "observations": rows } }), Some(&outsider)).await;
        let absent = app.graphql(RECORD, json!({ "input": { "measureId": missing, "observations": rows } }), Some(&outsider)).await;
        assert_eq!(hidden, absent);
        assert_eq!(user_error_codes(&hidden["data"]["recordObservations"]), vec!["NOT_FOUND"]);
        let visible = app.graphql("query($m: ID!) { node(id: $m) { id } }", json!({ "m": m }), Some(&w.south)).await;
        assert_eq!(visible["data"]["node"]["id"], json!(m), "sites see the measure");
    }
}

db_test! {
    async fn measures_reject_bad_definitions_and_misaligned_periods(app) {
        let w = world(&app).await;
        let input = json!({
            "projectId": w.project, "name": " ", "operationalDefinition": "x".repeat(10_001),
            "kind": "OUTCOME", "unit": "PROPORTION", "direction": "HIGHER_IS_BETTER", "frequency": "QUARTERLY", "target": 80.0,
        });
        let body = app.graphql(CREATE_MEASURE, json!({ "input": input }), Some(&w.lead)).await;
        let fields: Vec<Value> = body["data"]["createMeasure"]["userErrors"].as_array().unwrap().iter().map(|e| e["field"].clone()).collect();
        assert_eq!(fields, vec![json!(["input", "name"]), json!(["input", "operationalDefinition"]), json!(["input", "target"])]);
        let body = app.graphql(CREATE_MEASURE, json!({ "input": { "projectId": w.project, "name": "n", "operationalDefinition": "d", "kind": "OUTCOME", "unit": "PERCENT", "direction": "HIGHER_IS_BETTER", "frequency": "MONTHLY" } }), Some(&w.lead)).await;
        assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED");
        let body = app.graphql(CREATE_MEASURE, json!({ "input": { "projectId": w.project, "name": "n", "operationalDefinition": "d", "kind": "OUTCOME", "unit": "COUNT", "direction": "HIGHER_IS_BETTER", "frequency": "MONTHLY" } }), Some(&w.north)).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "a site does not define the lead's measures");

        let m = measure(&app, &w, "CONTINUOUS", "QUARTERLY", "HIGHER_IS_BETTER").await;
        let payload = record(&app, &w.lead, &m, vec![json!({ "site": w.north_slug, "periodStart": format!("{}-02-01", app.clock.today().year() - 1), "value": 1.5 })]).await;
        assert_eq!(payload["userErrors"][0]["code"], json!("INVALID"));
        assert!(payload["userErrors"][0]["message"].as_str().unwrap().contains("quarter"));
        assert_eq!(count_rows(&app, "measures").await, 1);
    }
}

db_test! {
    async fn the_limits_options_are_taken_and_the_chart_says_which_were_used(app) {
        let w = world(&app).await;
        let m = measure(&app, &w, "COUNT", "WEEKLY", "HIGHER_IS_BETTER").await;
        let rows = weekly_rows(app.last_monday(), &[&w.north_slug], 14, |week| 10.0 + (week % 3) as f64);
        record(&app, &w.lead, &m, rows).await;
        let query = "query($m: ID!, $o: AnalysisOptions) { node(id: $m) { ... on Measure {
          analysis(options: $o) { spc { limitsMultiplier movingRangesScreened segments { limits { upper } } points { movingRangeScreenedOut } } } } } }";
        let read = |options: Value| {
            let (app, m, lead) = (&app, &m, &w.lead);
            async move {
                let body = app.graphql(query, json!({ "m": m, "o": options }), Some(lead)).await;
                body["data"]["node"]["analysis"]["spc"].clone()
            }
        };
        let default = read(Value::Null).await;
        let mdc = read(json!({ "limitsMultiplier": "MAKING_DATA_COUNT" })).await;
        let textbook = read(json!({ "limitsMultiplier": "TEXTBOOK" })).await;
        assert_eq!(default, mdc, "Making Data Count's is the default");
        assert_eq!(mdc["limitsMultiplier"], json!("MAKING_DATA_COUNT"));
        assert_eq!(textbook["limitsMultiplier"], json!("TEXTBOOK"));
        let upper = |spc: &Value| spc["segments"][0]["limits"]["upper"].as_f64().unwrap();
        assert!(upper(&textbook) < upper(&mdc), "3 / 1.128 is a little less than 2.66");
        assert_eq!(mdc["movingRangesScreened"], json!(false));
        let screened = read(json!({ "screenMovingRanges": true })).await;
        assert_eq!(screened["movingRangesScreened"], json!(true));
        assert_eq!(screened["limitsMultiplier"], json!("MAKING_DATA_COUNT"));
        // 10, 11, 12 repeating has moving ranges of 1 and 2 only: none is an outlier.
        assert!(screened["points"].as_array().unwrap().iter().all(|p| p["movingRangeScreenedOut"] == json!(false)));
    }
}
