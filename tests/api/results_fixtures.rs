//! Shared setup for the shared-results tests: a funded, active project with a measure, and the
//! GraphQL operations on results.

use chrono::Duration;
use entity::institution::InstitutionKind;
use entity::membership::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;
use crate::project_fixtures::*;

pub const CREATE_RESULT: &str = "mutation($input: CreateSharedResultInput!) {
  createSharedResult(input: $input) { sharedResult { id version status } userErrors { field code message } }
}";
pub const UPDATE_RESULT: &str = "mutation($input: UpdateSharedResultInput!) {
  updateSharedResult(input: $input) { sharedResult { id version status title } userErrors { field code message } }
}";
/// Publishes whatever the measures say: tests of who sees what acknowledge the warnings a claim
/// may raise (`standalone_results` tests the warnings themselves).
pub const PUBLISH: &str = "mutation($id: ID!) {
  publishSharedResult(input: {id: $id}, acknowledgeWarnings: true) { sharedResult { id status } userErrors { field code message } }
}";
pub const UNPUBLISH: &str = "mutation($id: ID!) {
  unpublishSharedResult(input: {id: $id}) { sharedResult { id status } userErrors { field code message } }
}";
pub const CREATE_MEASURE: &str = "mutation($input: CreateMeasureInput!) {
  createMeasure(input: $input) { measure { id } userErrors { field code message } }
}";
pub const RECORD: &str = "mutation($input: RecordObservationsInput!) {
  recordObservations(input: $input) { recordedCount userErrors { field code message } }
}";
/// A result by `node(id:)`, with everything the limited view may or may not show.
pub const RESULT: &str = "query($id: ID!) { node(id: $id) { id ... on SharedResult {
  version status title projectTitle projectLead { id } project { id } sharedWith { id }
  measures { measure { id } frozenAnalysis { verdict centre points takenAt } }
} } }";
pub const LIST: &str = "query($filter: SharedResultFilter) {
  sharedResults(first: 50, filter: $filter) { edges { node { id } } }
}";
pub const LESSONS: &str =
    "query($filter: SharedResultFilter) { lessons(filter: $filter) { results barrierTags { tag count } } }";
pub const LIVE: &str = "query($m: ID!) { node(id: $m) { ... on Measure {
  analysis { verdict { verdict } spc { points { value } segments { centre } } }
} } }";

/// An ACTIVE project of a funded programme, with an accepted site and an OUTCOME measure.
pub struct Active {
    pub setup: Setup,
    pub measure: String,
}

pub async fn active_project(app: &TestApp) -> Active {
    let setup = setup(app).await;
    advance(app, &setup, "ACTIVE").await;
    let measure = create_measure(app, &setup.bid.lead_token, &setup.bid.project).await;
    Active { setup, measure }
}

pub async fn create_measure(app: &TestApp, lead: &str, project: &str) -> String {
    let input = json!({
        "projectId": project, "name": "Antibiotics within an hour", "operationalDefinition": "Audit",
        "kind": "OUTCOME", "unit": "PROPORTION", "direction": "HIGHER_IS_BETTER", "frequency": "WEEKLY",
    });
    let created = ok(app, lead, CREATE_MEASURE, json!({ "input": input })).await;
    created["measure"]["id"].as_str().unwrap().to_owned()
}

/// One row a week for the weeks `ago` (weeks before last Monday), numerator from the week.
pub async fn record_weeks(
    app: &TestApp,
    token: &str,
    a: &Active,
    ago: std::ops::Range<i64>,
    numerator: impl Fn(i64) -> f64,
) {
    let rows: Vec<Value> = ago
        .map(|w| {
            let period = app.last_monday() - Duration::weeks(w);
            json!({ "site": a.setup.site.id, "periodStart": period.to_string(), "numerator": numerator(w), "denominator": 20.0 })
        })
        .collect();
    let input = json!({ "measureId": a.measure, "observations": rows });
    ok(app, token, RECORD, json!({ "input": input })).await;
}

/// Stable data (no signal), then (optionally) a sustained big rise: the last 12 weeks.
pub async fn stable_then_shift(app: &TestApp, a: &Active, shift: bool) {
    let lead = &a.setup.bid.lead_token;
    record_weeks(app, lead, a, 12..32, |w| 9.0 + (w % 3) as f64).await;
    if shift {
        record_weeks(app, lead, a, 0..12, |_| 19.0).await;
    }
}

/// The lead drafts a result; returns its ID.
pub async fn draft_result(app: &TestApp, token: &str, project: &str, input: Value) -> String {
    let mut full = json!({
        "projectId": project, "title": "Faster antibiotics", "summary": "Door to needle fell",
        "body": "# Findings", "outcome": "IMPROVEMENT", "visibility": "PROJECT",
        "barrierTags": ["TIME_PRESSURE"],
    });
    for (k, v) in input.as_object().unwrap() {
        full[k] = v.clone();
    }
    let created = ok(app, token, CREATE_RESULT, json!({ "input": full })).await;
    created["sharedResult"]["id"].as_str().unwrap().to_owned()
}

pub async fn publish(app: &TestApp, token: &str, id: &str) -> Value {
    ok(app, token, PUBLISH, json!({ "id": id })).await
}

/// `node(id:)` of the result, as the token sees it (null when hidden).
pub async fn result(app: &TestApp, token: &str, id: &str) -> Value {
    let body = app.graphql(RESULT, json!({ "id": id }), Some(token)).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["node"].clone()
}

/// The IDs `sharedResults` lists for the token, with `filter`.
pub async fn listed(app: &TestApp, token: &str, filter: Value) -> Vec<String> {
    let body = app.graphql(LIST, json!({ "filter": filter }), Some(token)).await;
    let edges = body["data"]["sharedResults"]["edges"].as_array().unwrap_or_else(|| panic!("{body}"));
    edges.iter().map(|e| e["node"]["id"].as_str().unwrap().to_owned()).collect()
}

/// The number of published results `lessons` counts for the token, with `filter`.
pub async fn lessons_count(app: &TestApp, token: &str, filter: Value) -> i64 {
    let body = app.graphql(LESSONS, json!({ "filter": filter }), Some(token)).await;
    body["data"]["lessons"]["results"].as_i64().unwrap_or_else(|| panic!("{body}"))
}

pub async fn node(app: &TestApp, token: &str, id: &str) -> Value {
    app.graphql("query($id: ID!) { node(id: $id) { id } }", json!({ "id": id }), Some(token)).await
}

pub fn missing(kind: &str) -> String {
    global_id(kind, Uuid::now_v7())
}

/// A new institution of `kind` and a signed-in MEMBER of it.
pub async fn party(app: &TestApp, kind: InstitutionKind) -> (Uuid, String) {
    let id = app.institution(kind).await;
    (id, app.token(id, Role::Member).await)
}
