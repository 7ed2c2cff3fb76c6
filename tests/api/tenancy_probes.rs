//! Holes found by probing the API from outside, as another tenant would: readiness evidence,
//! whose assessments the gate counts, hidden against absent ids, one spelling per ID, drafts,
//! and what a project's status still lets change.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entity::institution::InstitutionKind;
use entity::membership::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::db_test;
use crate::helpers::*;
use crate::loading_fixtures::costed;
use crate::project_fixtures::*;
use crate::results_fixtures::{CREATE_MEASURE, RECORD, active_project, create_measure};

const READINESS: &str =
    "query($p: ID!) { project(id: $p) { fundingReadiness { ready failures { field code message } } } }";
const NODE: &str = "query($id: ID!) { node(id: $id) { id } }";

fn failures(body: &Value) -> Vec<(String, String)> {
    let list = body["data"]["project"]["fundingReadiness"]["failures"]
        .as_array()
        .unwrap_or_else(|| panic!("no readiness in {body}"));
    list.iter()
        .map(|f| {
            let field: Vec<&str> =
                f["field"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
            (field.join("."), f["code"].as_str().unwrap().to_owned())
        })
        .collect()
}

db_test! {
    async fn readiness_never_names_a_score_or_date_of_an_assessment_the_reader_cannot_read(app) {
        let s = setup(&app).await;
        let b = answered_site(&app, &s.bid, true).await;
        springboard_team(&app, &s.bid).await;
        advance(&app, &s, "SUBMITTED").await;
        let funder = &s.funding.funder_token;
        assess(&app, funder, &s.bid.project, s.site.host, 3, true).await;
        assess(&app, funder, &s.bid.project, b.host, 1, true).await;
        let b_site = format!("sites.{}", b.id);

        // The funder made both assessments: it reads every score.
        let by_funder = app.graphql(READINESS, json!({ "p": s.bid.project }), Some(funder)).await;
        let told = failures(&by_funder);
        assert_eq!(told.len(), 5, "{by_funder}");
        assert!(told.iter().all(|(field, code)| field.starts_with(&b_site) && code == "SCORE_BELOW_MINIMUM"));

        // Site A's member, viewer and READ token may not read B's assessment: one shortfall for
        // B, no dimension, no score, no date.
        let a_admin = &s.site.token;
        let a_member = app.token(s.site.host, Role::Member).await;
        let a_viewer = app.token(s.site.host, Role::Viewer).await;
        let a_script = api_token(&app, a_admin, "READ").await;
        for token in [&a_member, &a_viewer, &a_script] {
            let body = app.graphql(READINESS, json!({ "p": s.bid.project }), Some(token)).await;
            assert_eq!(failures(&body), vec![(b_site.clone(), "CAPACITY_SHORTFALL".to_owned())], "{body}");
            let message = body["data"]["project"]["fundingReadiness"]["failures"][0]["message"].as_str().unwrap();
            assert!(!message.contains("scores") && !message.contains("PROJECT_MANAGEMENT"), "{message}");
            assert_eq!(body["data"]["project"]["fundingReadiness"]["ready"], json!(false));
        }
        // Site B reads its own assessment; the lead reads assessments made for its project.
        for token in [&b.token, &s.bid.lead_token] {
            let body = app.graphql(READINESS, json!({ "p": s.bid.project }), Some(token)).await;
            assert_eq!(failures(&body), told, "{body}");
        }
    }
}

const GENERAL_ASSESSMENT: &str = "mutation($input: CreateCapacityAssessmentInput!) {
  createCapacityAssessment(input: $input) { assessment { id } userErrors { field code message } }
}";

db_test! {
    async fn another_funders_assessment_does_not_change_the_gate(app) {
        let s = setup(&app).await;
        springboard_team(&app, &s.bid).await;
        advance(&app, &s, "SUBMITTED").await;
        let funder = &s.funding.funder_token;
        // The programme's funder assessed the host long ago: too old for the programme.
        let stale = json!({ "input": {
            "assessedInstitutionId": institution_id(s.site.host), "projectId": s.bid.project,
            "assessedOn": app.day(-400), "dimensions": scores(3), "submit": true,
        }});
        ok(&app, funder, GENERAL_ASSESSMENT, stale).await;
        let site = format!("sites.{}", s.site.id);
        let before = app.graphql(READINESS, json!({ "p": s.bid.project }), Some(funder)).await;
        assert_eq!(failures(&before), vec![(site.clone(), "ASSESSMENT_EXPIRED".to_owned())]);

        // A second funder records a fresh general assessment of the same host.
        let other = app.institution(InstitutionKind::Funder).await;
        let other_token = app.token(other, Role::Admin).await;
        let fresh = json!({ "input": {
            "assessedInstitutionId": institution_id(s.site.host),
            "assessedOn": app.day(0), "dimensions": scores(4), "submit": true,
        }});
        ok(&app, &other_token, GENERAL_ASSESSMENT, fresh).await;

        let after = app.graphql(READINESS, json!({ "p": s.bid.project }), Some(funder)).await;
        assert_eq!(after, before, "the other funder's assessment changes nothing in this programme");
        let fund = json!({ "p": s.bid.project, "decision": "FUNDED", "budget": 10_000 });
        let refused = app.graphql(DECIDE, fund, Some(funder)).await;
        assert_eq!(problems(payload(&refused)), problem(&site, "ASSESSMENT_EXPIRED"));

        // The programme's own funder's fresh general assessment does count.
        let own = json!({ "input": {
            "assessedInstitutionId": institution_id(s.site.host),
            "assessedOn": app.day(0), "dimensions": scores(3), "submit": true,
        }});
        ok(&app, funder, GENERAL_ASSESSMENT, own).await;
        let ready = app.graphql(READINESS, json!({ "p": s.bid.project }), Some(funder)).await;
        assert_eq!(ready["data"]["project"]["fundingReadiness"]["ready"], json!(true), "{ready}");
    }
}

const TEAM_NODE: &str = "query($id: ID!) { node(id: $id) { id ... on TeamMember { role } } }";

db_test! {
    async fn a_hidden_object_and_a_missing_one_take_the_same_statements(app) {
        let s = setup(&app).await;
        let member = json!({ "institutionId": institution_id(s.bid.college), "externalName": "Ana", "role": "TEAM_MEMBER", "hoursPerWeek": 2 });
        let hidden_member = add_team_member(&app, &s.bid.lead_token, &s.bid.project, member).await;
        let outsider = app.token(app.institution(InstitutionKind::HostInstitution).await, Role::Admin).await;
        let cases = [
            ("TeamMember", hidden_member, global_id("TeamMember", Uuid::now_v7())),
            ("ProjectSite", s.site.id.clone(), global_id("ProjectSite", Uuid::now_v7())),
            ("Project", s.bid.project.clone(), global_id("Project", Uuid::now_v7())),
        ];
        for (kind, hidden, absent) in cases {
            let (hidden_body, hidden_cost) = costed(&app, &outsider, TEAM_NODE, json!({ "id": hidden })).await;
            let (absent_body, absent_cost) = costed(&app, &outsider, TEAM_NODE, json!({ "id": absent })).await;
            assert_eq!(hidden_body, json!({ "data": { "node": null } }), "{kind}");
            assert_eq!(absent_body, hidden_body, "{kind}");
            assert_eq!(hidden_cost, absent_cost, "{kind}: hidden {hidden_cost} statements, absent {absent_cost}");
        }
    }
}

db_test! {
    async fn other_spellings_of_an_id_read_as_a_missing_object(app) {
        let s = setup(&app).await;
        let lead = &s.bid.lead_token;
        let found = app.graphql(NODE, json!({ "id": s.bid.project }), Some(lead)).await;
        assert_eq!(found["data"]["node"]["id"], json!(s.bid.project));

        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(&s.bid.project).unwrap()).unwrap();
        let uuid = Uuid::parse_str(text.split_once(':').unwrap().1).unwrap();
        let spellings = [
            uuid.hyphenated().to_string().to_uppercase(),
            uuid.simple().to_string(),
            uuid.braced().to_string(),
            uuid.urn().to_string(),
        ];
        for spelling in spellings {
            let id = URL_SAFE_NO_PAD.encode(format!("Project:{spelling}"));
            let by_node = app.graphql(NODE, json!({ "id": id }), Some(lead)).await;
            assert_eq!(by_node, json!({ "data": { "node": null } }), "{spelling}");
            let update = json!({ "input": { "id": id, "title": "Renamed" } });
            let by_mutation = app.graphql(UPDATE_PROJECT, update, Some(lead)).await;
            assert_eq!(problems(payload(&by_mutation)), problem("input.id", "NOT_FOUND"), "{spelling}");
        }
    }
}

const PROJECTS: &str = "{ projects(first: 50) { totalCount edges { node { id } } } }";

db_test! {
    async fn a_draft_reaches_its_lead_and_invited_sites_and_the_funder_only_once_submitted(app) {
        let s = setup(&app).await;
        let invited = invite_site(&app, &s.bid).await;
        let withdrawn = draft_project(&app, &s.funding).await;
        ok(&app, &withdrawn.lead_token, TRANSITION, json!({ "p": withdrawn.project, "to": "WITHDRAWN" })).await;
        let funder = &s.funding.funder_token;
        let listed = |body: &Value| -> Vec<String> {
            body["data"]["projects"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["id"].as_str().unwrap().to_owned()).collect()
        };

        for token in [&s.bid.lead_token, &s.site.token, &invited.token] {
            let body = app.graphql(PROJECTS, json!({}), Some(token)).await;
            assert_eq!(listed(&body), vec![s.bid.project.clone()], "{body}");
        }
        let by_funder = app.graphql(PROJECTS, json!({}), Some(funder)).await;
        assert_eq!(by_funder["data"]["projects"], json!({ "totalCount": 0, "edges": [] }));
        let by_id = app.graphql(NODE, json!({ "id": s.bid.project }), Some(funder)).await;
        assert_eq!(by_id, json!({ "data": { "node": null } }));
        let withdrawn_by_id = app.graphql(NODE, json!({ "id": withdrawn.project }), Some(funder)).await;
        assert_eq!(withdrawn_by_id, json!({ "data": { "node": null } }), "a withdrawn draft never reaches the funder");

        advance(&app, &s, "SUBMITTED").await;
        let after = app.graphql(PROJECTS, json!({}), Some(funder)).await;
        assert_eq!(listed(&after), vec![s.bid.project.clone()], "{after}");
    }
}

const UPDATE_MEASURE: &str = "mutation($input: UpdateMeasureInput!) {
  updateMeasure(input: $input) { measure { id } userErrors { field code message } }
}";

fn status_refusal(body: &Value) -> (Vec<(String, String)>, String) {
    let payload = payload(body);
    let message = payload["userErrors"][0]["message"].as_str().unwrap_or_default().to_owned();
    (problems(payload), message)
}

db_test! {
    async fn a_project_takes_only_the_changes_its_status_allows(app) {
        let a = active_project(&app).await;
        // A script's token: it outlives the clock moves below, as a signed-in session would not.
        let lead = api_token(&app, &a.setup.bid.lead_token, "READ_WRITE").await;
        let project = a.setup.bid.project.clone();
        let week = |monday: chrono::NaiveDate| json!({ "input": { "measureId": a.measure, "observations": [{ "site": a.setup.site.id, "periodStart": monday.to_string(), "numerator": 10, "denominator": 20 }] } });
        let team = json!({ "input": { "projectId": project, "institutionId": institution_id(a.setup.bid.college), "externalName": "Late", "role": "TEAM_MEMBER", "hoursPerWeek": 1 } });
        let measure = json!({ "input": { "projectId": project, "name": "Late", "operationalDefinition": "d", "kind": "PROCESS", "unit": "COUNT", "direction": "HIGHER_IS_BETTER", "frequency": "MONTHLY" } });
        let details = json!({ "input": { "id": project, "title": "Renamed" } });

        // ACTIVE: team, measures and data change; the bid's details no longer do.
        ok(&app, &lead, ADD_TEAM, team.clone()).await;
        ok(&app, &lead, CREATE_MEASURE, measure.clone()).await;
        let before_completion = app.last_monday() - chrono::Duration::weeks(2);
        ok(&app, &lead, RECORD, week(before_completion)).await;
        let (codes, message) = status_refusal(&app.graphql(UPDATE_PROJECT, details, Some(&lead)).await);
        assert_eq!(codes, problem("input.id", "NOT_ALLOWED_IN_STATUS"));
        assert!(message.contains("ACTIVE"), "{message}");

        // COMPLETED today: late data for the weeks before today still lands, weeks from today on
        // are refused (even once they are in the past), and the team and measures are closed.
        ok(&app, &lead, TRANSITION, json!({ "p": project, "to": "COMPLETED" })).await;
        let after_completion = app.last_monday() + chrono::Duration::weeks(1);
        app.clock.advance(chrono::Duration::weeks(3));
        ok(&app, &lead, RECORD, week(before_completion - chrono::Duration::weeks(1))).await;
        let (codes, message) = status_refusal(&app.graphql(RECORD, week(after_completion), Some(&lead)).await);
        assert_eq!(codes.iter().map(|c| c.1.as_str()).collect::<Vec<_>>(), vec!["NOT_ALLOWED_IN_STATUS"], "{message}");
        assert!(message.contains("COMPLETED"), "{message}");
        for (query, variables) in [(ADD_TEAM, team), (CREATE_MEASURE, measure)] {
            let (codes, message) = status_refusal(&app.graphql(query, variables, Some(&lead)).await);
            assert_eq!(codes.iter().map(|c| c.1.as_str()).collect::<Vec<_>>(), vec!["NOT_ALLOWED_IN_STATUS"], "{query}");
            assert!(message.contains("COMPLETED"), "{message}");
        }
        let rename = json!({ "input": { "id": a.measure, "name": "Renamed" } });
        let (codes, _) = status_refusal(&app.graphql(UPDATE_MEASURE, rename, Some(&lead)).await);
        assert_eq!(codes.iter().map(|c| c.1.as_str()).collect::<Vec<_>>(), vec!["NOT_ALLOWED_IN_STATUS"]);
    }
}

db_test! {
    async fn withdrawn_and_declined_projects_take_no_changes(app) {
        let funded = setup(&app).await;
        let measure_input = |project: &str| json!({ "input": { "projectId": project, "name": "M", "operationalDefinition": "d", "kind": "PROCESS", "unit": "COUNT", "direction": "HIGHER_IS_BETTER", "frequency": "MONTHLY" } });
        advance(&app, &funded, "ACTIVE").await;
        let lead = funded.bid.lead_token.clone();
        let measure = create_measure(&app, &lead, &funded.bid.project).await;
        ok(&app, &lead, TRANSITION, json!({ "p": funded.bid.project, "to": "WITHDRAWN" })).await;

        let declined = setup(&app).await;
        advance(&app, &declined, "SUBMITTED").await;
        ok(&app, &declined.funding.funder_token, DECIDE, json!({ "p": declined.bid.project, "decision": "DECLINED" })).await;

        let monday = (app.last_monday() - chrono::Duration::weeks(2)).to_string();
        let record = json!({ "input": { "measureId": measure, "observations": [{ "site": funded.site.id, "periodStart": monday, "numerator": 1, "denominator": 2 }] } });
        let team = |s: &Setup| json!({ "input": { "projectId": s.bid.project, "institutionId": institution_id(s.bid.college), "externalName": "X", "role": "TEAM_MEMBER", "hoursPerWeek": 1 } });
        let cases = [
            ("WITHDRAWN", &funded, RECORD, record),
            ("WITHDRAWN", &funded, ADD_TEAM, team(&funded)),
            ("WITHDRAWN", &funded, CREATE_MEASURE, measure_input(&funded.bid.project)),
            ("DECLINED", &declined, ADD_TEAM, team(&declined)),
            ("DECLINED", &declined, CREATE_MEASURE, measure_input(&declined.bid.project)),
        ];
        let before = count_rows(&app, "observations").await;
        for (status, s, query, variables) in cases {
            let (codes, message) = status_refusal(&app.graphql(query, variables, Some(&s.bid.lead_token)).await);
            assert_eq!(codes.iter().map(|c| c.1.as_str()).collect::<Vec<_>>(), vec!["NOT_ALLOWED_IN_STATUS"], "{status} {query}");
            assert!(message.contains(status), "{message}");
        }
        assert_eq!(count_rows(&app, "observations").await, before);
    }
}

const SHORTFALLS: &str = "query($p: ID!) { project(id: $p) { fundingReadiness {
  failures { code message }
  shortfalls { code message siteId institutionId dimension score minimum assessedOn validUntil roles hoursPerWeek limitHoursPerWeek }
} } }";

db_test! {
    async fn readiness_shortfalls_carry_their_figures_only_for_readers_of_the_assessment(app) {
        let s = setup(&app).await;
        let b = answered_site(&app, &s.bid, true).await;
        springboard_team(&app, &s.bid).await;
        advance(&app, &s, "SUBMITTED").await;
        let funder = &s.funding.funder_token;
        assess(&app, funder, &s.bid.project, s.site.host, 3, true).await;
        assess(&app, funder, &s.bid.project, b.host, 1, true).await;

        let by_funder = app.graphql(SHORTFALLS, json!({ "p": s.bid.project }), Some(funder)).await;
        let readiness = &by_funder["data"]["project"]["fundingReadiness"];
        let shortfalls = readiness["shortfalls"].as_array().unwrap_or_else(|| panic!("{by_funder}"));
        assert_eq!(shortfalls.len(), 5, "one per dimension: {by_funder}");
        for (shortfall, failure) in shortfalls.iter().zip(readiness["failures"].as_array().unwrap()) {
            assert_eq!((&shortfall["code"], &shortfall["message"]), (&failure["code"], &failure["message"]), "the same order");
            assert_eq!(shortfall["siteId"], json!(b.id));
            assert_eq!(shortfall["institutionId"], json!(institution_id(b.host)));
            assert!(shortfall["dimension"].is_string());
            assert_eq!(shortfall["score"], json!(1));
            assert!(shortfall["minimum"].as_i64().unwrap() > 1, "{shortfall}");
            assert_eq!(shortfall["assessedOn"], json!(app.day(0)));
            assert!(shortfall["validUntil"].as_str().unwrap() > app.day(0).as_str(), "{shortfall}");
            assert_eq!((&shortfall["roles"], &shortfall["hoursPerWeek"]), (&json!([]), &Value::Null));
        }

        let a_member = app.token(s.site.host, Role::Member).await;
        let hidden = app.graphql(SHORTFALLS, json!({ "p": s.bid.project }), Some(&a_member)).await;
        let only = &hidden["data"]["project"]["fundingReadiness"]["shortfalls"];
        assert_eq!(only.as_array().map(Vec::len), Some(1), "{hidden}");
        assert_eq!(only[0]["code"], json!("CAPACITY_SHORTFALL"));
        assert_eq!(only[0]["siteId"], json!(b.id));
        for figure in ["dimension", "score", "minimum", "assessedOn", "validUntil"] {
            assert_eq!(only[0][figure], Value::Null, "{figure} is not the reader's to know");
        }
    }
}
