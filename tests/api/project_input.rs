//! Bad input to the project mutations: each problem is a user error on the right `input…`
//! field, every problem is reported at once, and nothing is half-written.

use entity::institution::InstitutionKind;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::project_fixtures::*;
use crate::{db_test, db_test_with};

const TABLES: [&str; 5] =
    ["projects", "project_sites", "team_members", "capacity_assessments", "audit_events"];

async fn row_counts(app: &TestApp) -> Vec<(&'static str, i64)> {
    let mut counts = Vec::new();
    for table in TABLES {
        counts.push((table, count_rows(app, table).await));
    }
    counts
}

/// `base` with `changes` laid over it, wrapped as `{ "input": … }`.
fn input(base: &Value, changes: Value) -> Value {
    let mut merged = base.clone();
    for (key, value) in changes.as_object().unwrap() {
        merged[key] = value.clone();
    }
    json!({ "input": merged })
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(f, c)| ((*f).to_owned(), (*c).to_owned())).collect()
}

/// Sends each case and checks its user errors (as `(field, code)` pairs) and that the payload
/// carries no object; `object` names the payload's object field.
async fn expect_problems(
    app: &TestApp,
    token: &str,
    query: &str,
    object: &str,
    cases: &[(Value, Vec<(&str, &str)>)],
) {
    for (variables, expected) in cases {
        let body = app.graphql(query, variables.clone(), Some(token)).await;
        let payload = payload(&body);
        assert_eq!(problems(payload), pairs(expected), "{variables}: {body}");
        assert!(payload[object].is_null(), "{body}");
        assert!(problems(payload).iter().all(|(field, _)| field.starts_with("input.")), "{body}");
    }
}

db_test! {
    async fn unknown_enum_values_fail_validation_before_anything_runs(app) {
        let s = setup(&app).await;
        let project = &s.bid.project;
        let before = row_counts(&app).await;
        let cases = [
            (TRANSITION, json!({ "p": project, "to": "FINISHED" })),
            ("mutation($p: ID!) { transitionProject(input: {projectId: $p, to: FINISHED}) { userErrors { code } } }", json!({ "p": project })),
            (DECIDE, json!({ "p": project, "decision": "MAYBE", "budget": null })),
            (ADD_TEAM, json!({ "input": { "projectId": project, "institutionId": institution_id(s.bid.college), "externalName": "X", "role": "WIZARD", "hoursPerWeek": 1 } })),
            (RECORD_COMMITMENT, json!({ "input": { "projectId": project, "kind": "MONEY", "description": "x" } })),
            (ASSESS, json!({ "input": { "projectId": project, "assessedInstitutionId": institution_id(s.site.host), "assessedOn": app.day(0), "dimensions": [{ "dimension": "CHARISMA", "score": 1 }] } })),
            ("{ projects(filter: {statuses: [DONE]}) { totalCount } }", json!({})),
        ];

        for (query, variables) in cases {
            let (status, body) = app.graphql_status(query, variables, Some(&s.funding.funder_token)).await;
            assert_eq!(status, StatusCode::OK, "application/json answers 200: {body}");
            assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{query}: {body}");
            assert!(body.get("data").is_none(), "{body}");
        }
        assert_eq!(row_counts(&app).await, before);
    }
}

db_test_with! {
    #[ignore = "upstream (async-graphql 7.2.1): an unknown enum value reaches execution (BAD_USER_INPUT, \"data\": null) when another variable of the same argument is left out: async-graphql's ArgumentsOfCorrectType skips arguments with an absent variable, and nothing coerces variables before execution"]
    async fn an_unknown_enum_value_fails_validation_even_when_an_optional_variable_is_left_out(app) with |_| {};
    {
        let s = setup(&app).await;
        advance(&app, &s, "SUBMITTED").await;

        let variables = json!({ "p": s.bid.project, "decision": "MAYBE" });
        let (status, body) = app.graphql_status(DECIDE, variables, Some(&s.funding.funder_token)).await;

        assert_eq!(status, StatusCode::OK);
        assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
        assert!(body.get("data").is_none(), "{body}");
    }
}

db_test! {
    async fn project_text_dates_and_budget_are_checked_and_every_problem_is_reported(app) {
        let funding = open_programme(&app).await;
        let bid = draft_project(&app, &funding).await;
        let base = json!({ "programmeId": funding.programme, "title": "T", "aimStatement": "A", "clinicalArea": "C" });
        let before = row_counts(&app).await;
        let cases = [
            (input(&base, json!({ "title": "" })), vec![("input.title", "REQUIRED")]),
            (input(&base, json!({ "title": " \n\t " })), vec![("input.title", "REQUIRED")]),
            (input(&base, json!({ "title": "x".repeat(301) })), vec![("input.title", "INVALID")]),
            (input(&base, json!({ "title": "bell\u{7}" })), vec![("input.title", "INVALID")]),
            (input(&base, json!({ "aimStatement": "a".repeat(10_001) })), vec![("input.aimStatement", "INVALID")]),
            (input(&base, json!({ "clinicalArea": "  " })), vec![("input.clinicalArea", "REQUIRED")]),
            (input(&base, json!({ "startsOn": app.day(10), "endsOn": app.day(9) })), vec![("input.endsOn", "INVALID")]),
            (input(&base, json!({ "budgetRequested": -1 })), vec![("input.budgetRequested", "INVALID")]),
            (input(&base, json!({ "budgetRequested": 1_000_000_001_i64 })), vec![("input.budgetRequested", "INVALID")]),
            (input(&base, json!({ "budgetRequested": 9_000_000_000_000_i64 })), vec![("input.budgetRequested", "INVALID")]),
            (
                input(&base, json!({ "title": "", "aimStatement": "a".repeat(10_001), "endsOn": app.day(1), "startsOn": app.day(2), "budgetRequested": -5 })),
                vec![("input.title", "REQUIRED"), ("input.aimStatement", "INVALID"), ("input.endsOn", "INVALID"), ("input.budgetRequested", "INVALID")],
            ),
        ];
        expect_problems(&app, &bid.lead_token, CREATE_PROJECT, "project", &cases).await;
        assert_eq!(row_counts(&app).await, before, "nothing half-written");

        let edits = [
            (json!({ "input": { "id": bid.project, "title": "" } }), vec![("input.title", "REQUIRED")]),
            (json!({ "input": { "id": bid.project, "title": "y".repeat(301) } }), vec![("input.title", "INVALID")]),
            (json!({ "input": { "id": bid.project, "budgetRequested": -1 } }), vec![("input.budgetRequested", "INVALID")]),
            // The fixture's project starts in 30 days: an end before that is refused on its own.
            (json!({ "input": { "id": bid.project, "endsOn": app.day(29) } }), vec![("input.endsOn", "INVALID")]),
            (json!({ "input": { "id": bid.project, "title": "Fine", "startsOn": app.day(500) } }), vec![("input.endsOn", "INVALID")]),
        ];
        expect_problems(&app, &bid.lead_token, UPDATE_PROJECT, "project", &edits).await;
        assert_eq!(row_counts(&app).await, before, "nothing half-written");
        let stored = app.graphql("query($p: ID!) { project(id: $p) { title budgetRequested startsOn endsOn } }", json!({ "p": bid.project }), Some(&bid.lead_token)).await;
        assert_eq!(stored["data"]["project"], json!({ "title": "Sepsis six", "budgetRequested": 50_000, "startsOn": app.day(30), "endsOn": app.day(400) }));

        let longest = input(&base, json!({ "title": "x".repeat(300), "aimStatement": "a".repeat(10_000), "budgetRequested": 0 }));
        ok(&app, &bid.lead_token, CREATE_PROJECT, longest).await;
        assert_eq!(count_rows(&app, "projects").await, before[0].1 + 1, "the limits themselves are accepted");
    }
}

db_test_with! {
    async fn a_valid_project_edit_is_kept(app) with |_| {};
    {
        let bid = draft_project(&app, &open_programme(&app).await).await;
        let edit = json!({ "input": { "id": bid.project, "title": "Sepsis seven", "budgetRequested": 60_000, "endsOn": app.day(500) } });

        let answered = ok(&app, &bid.lead_token, UPDATE_PROJECT, edit).await;

        assert_eq!(answered["project"]["title"], json!("Sepsis seven"));
        let stored = app.graphql("query($p: ID!) { project(id: $p) { title budgetRequested endsOn } }", json!({ "p": bid.project }), Some(&bid.lead_token)).await;
        assert_eq!(stored["data"]["project"], json!({ "title": "Sepsis seven", "budgetRequested": 60_000, "endsOn": app.day(500) }));
    }
}

db_test_with! {
    async fn a_valid_team_member_edit_is_kept(app) with |_| {};
    {
        let s = setup(&app).await;
        let member = json!({ "institutionId": institution_id(s.site.host), "externalName": "Nurse", "role": "TEAM_MEMBER", "hoursPerWeek": 4 });
        let id = add_team_member(&app, &s.bid.lead_token, &s.bid.project, member).await;

        let edit = json!({ "input": { "teamMemberId": id, "role": "DATA_ANALYST", "hoursPerWeek": 6.5, "endsOn": app.day(90) } });
        ok(&app, &s.bid.lead_token, UPDATE_TEAM, edit).await;

        let team = app.graphql("query($p: ID!) { project(id: $p) { team { role hoursPerWeek endsOn } } }", json!({ "p": s.bid.project }), Some(&s.bid.lead_token)).await;
        assert_eq!(team["data"]["project"]["team"], json!([{ "role": "DATA_ANALYST", "hoursPerWeek": 6.5, "endsOn": app.day(90) }]));
    }
}

db_test! {
    async fn team_hours_and_dates_are_checked(app) {
        let s = setup(&app).await;
        let base = json!({ "projectId": s.bid.project, "institutionId": institution_id(s.site.host), "externalName": "Nurse", "role": "TEAM_MEMBER", "hoursPerWeek": 4 });
        let before = row_counts(&app).await;
        let cases = [
            (input(&base, json!({ "hoursPerWeek": -1 })), vec![("input.hoursPerWeek", "INVALID")]),
            (input(&base, json!({ "hoursPerWeek": 0 })), vec![("input.hoursPerWeek", "INVALID")]),
            (input(&base, json!({ "hoursPerWeek": 100.5 })), vec![("input.hoursPerWeek", "INVALID")]),
            (input(&base, json!({ "hoursPerWeek": 1e300 })), vec![("input.hoursPerWeek", "INVALID")]),
            (input(&base, json!({ "startsOn": app.day(5), "endsOn": app.day(4) })), vec![("input.endsOn", "INVALID")]),
            (input(&base, json!({ "externalName": "n".repeat(201) })), vec![("input.externalName", "INVALID")]),
            (input(&base, json!({ "hoursPerWeek": 0, "startsOn": app.day(5), "endsOn": app.day(4) })), vec![("input.hoursPerWeek", "INVALID"), ("input.endsOn", "INVALID")]),
        ];
        expect_problems(&app, &s.bid.lead_token, ADD_TEAM, "teamMember", &cases).await;
        assert_eq!(row_counts(&app).await, before, "nothing half-written");

        let id = add_team_member(&app, &s.bid.lead_token, &s.bid.project, input(&base, json!({ "hoursPerWeek": 100, "startsOn": app.day(5) }))["input"].clone()).await;
        let before = row_counts(&app).await;
        let edits = [
            (json!({ "input": { "teamMemberId": id, "hoursPerWeek": 0 } }), vec![("input.hoursPerWeek", "INVALID")]),
            (json!({ "input": { "teamMemberId": id, "hoursPerWeek": -3.5 } }), vec![("input.hoursPerWeek", "INVALID")]),
            (json!({ "input": { "teamMemberId": id, "endsOn": app.day(4) } }), vec![("input.endsOn", "INVALID")]),
        ];
        expect_problems(&app, &s.bid.lead_token, UPDATE_TEAM, "teamMember", &edits).await;
        assert_eq!(row_counts(&app).await, before, "nothing half-written");
        let team = app.graphql("query($p: ID!) { project(id: $p) { team { hoursPerWeek endsOn } } }", json!({ "p": s.bid.project }), Some(&s.bid.lead_token)).await;
        assert_eq!(team["data"]["project"]["team"], json!([{ "hoursPerWeek": 100.0, "endsOn": null }]));
    }
}

db_test! {
    async fn scores_outside_zero_to_four_and_other_bad_assessments_are_refused(app) {
        let s = setup(&app).await;
        advance(&app, &s, "SUBMITTED").await;
        let funder = &s.funding.funder_token;
        let base = json!({ "projectId": s.bid.project, "assessedInstitutionId": institution_id(s.site.host), "assessedOn": app.day(0) });
        let before = row_counts(&app).await;
        let cases = [
            (input(&base, json!({ "dimensions": [{ "dimension": "LEADERSHIP", "score": 5 }] })), vec![("input.dimensions.0.score", "INVALID")]),
            (input(&base, json!({ "dimensions": [{ "dimension": "LEADERSHIP", "score": 2 }, { "dimension": "STAFF_TIME", "score": -1 }] })), vec![("input.dimensions.1.score", "INVALID")]),
            (input(&base, json!({ "dimensions": [{ "dimension": "LEADERSHIP", "score": 2 }, { "dimension": "LEADERSHIP", "score": 3 }] })), vec![("input.dimensions.1", "INVALID")]),
            (input(&base, json!({ "dimensions": [{ "dimension": "LEADERSHIP", "score": 2, "evidence": "e".repeat(10_001) }] })), vec![("input.dimensions.0.evidence", "INVALID")]),
            (input(&base, json!({ "assessedOn": app.day(1) })), vec![("input.assessedOn", "INVALID")]),
            (input(&base, json!({ "dimensions": scores(9), "submit": true })), vec![("input.dimensions.0.score", "INVALID"), ("input.dimensions.1.score", "INVALID"), ("input.dimensions.2.score", "INVALID"), ("input.dimensions.3.score", "INVALID"), ("input.dimensions.4.score", "INVALID")]),
        ];
        expect_problems(&app, funder, ASSESS, "assessment", &cases).await;
        assert_eq!(row_counts(&app).await, before, "nothing half-written");

        let id = assess(&app, funder, &s.bid.project, s.site.host, 1, false).await;
        let before = row_counts(&app).await;
        let edits = [
            (json!({ "input": { "id": id, "dimensions": [{ "dimension": "LEADERSHIP", "score": 7 }] } }), vec![("input.dimensions.0.score", "INVALID")]),
            (json!({ "input": { "id": id, "assessedOn": app.day(3), "submit": true } }), vec![("input.assessedOn", "INVALID")]),
        ];
        expect_problems(&app, funder, UPDATE_ASSESSMENT, "assessment", &edits).await;
        assert_eq!(row_counts(&app).await, before, "nothing half-written");
        let stored = app.graphql("query($id: ID!) { node(id: $id) { ... on CapacityAssessment { status assessedOn dimensions { score } } } }", json!({ "id": id }), Some(funder)).await;
        assert_eq!(stored["data"]["node"]["status"], json!("DRAFT"));
        assert_eq!(stored["data"]["node"]["assessedOn"], json!(app.day(0)));
        assert_eq!(stored["data"]["node"]["dimensions"][1], json!({ "score": 1 }));
    }
}

db_test! {
    async fn an_awarded_budget_is_required_and_bounded(app) {
        let s = setup(&app).await;
        advance(&app, &s, "SUBMITTED").await;
        let before = row_counts(&app).await;
        let fund = |budget: Value| json!({ "p": s.bid.project, "decision": "FUNDED", "budget": budget });
        let cases = [
            (fund(json!(null)), vec![("input.awardedBudget", "REQUIRED")]),
            (fund(json!(-1)), vec![("input.awardedBudget", "INVALID")]),
            (fund(json!(1_000_000_001_i64)), vec![("input.awardedBudget", "INVALID")]),
        ];
        expect_problems(&app, &s.funding.funder_token, DECIDE, "project", &cases).await;
        assert_eq!(row_counts(&app).await, before, "nothing half-written");
        assert_eq!(status(&app, &s.bid.lead_token, &s.bid.project).await, json!("SUBMITTED"));
        let unrelated = app.institution(InstitutionKind::HostInstitution).await;
        let body = app.graphql(ADD_SITE, json!({ "p": s.bid.project, "i": global_id("Project", unrelated) }), Some(&s.bid.lead_token)).await;
        assert_eq!(problems(payload(&body)), problem("input.institutionId", "INVALID"), "an ID of the wrong kind: {body}");
    }
}
