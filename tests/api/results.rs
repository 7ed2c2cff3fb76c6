//! Shared results: who sees what across tenants, frozen snapshots, versions, who may write, and
//! the programme's evaluation.

use chrono::Datelike;
use entity::institution::InstitutionKind;
use entity::membership::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::db_test;
use crate::helpers::*;
use crate::project_fixtures::*;
use crate::results_fixtures::*;

/// Who looks, and whether the project itself is theirs to see.
struct Viewer {
    name: &'static str,
    token: String,
    participant: bool,
}

db_test! {
    async fn each_visibility_reaches_exactly_the_institutions_it_names(app) {
        // P1: project A (lead L1, site H1, a declined site) active; project B (L2, H2) a draft.
        let funding = open_programme(&app).await;
        let bid = draft_project(&app, &funding).await;
        let h1 = answered_site(&app, &bid, true).await;
        let declined = answered_site(&app, &bid, false).await;
        let (l1, f1) = (bid.lead_token.clone(), funding.funder_token.clone());
        let s1 = Setup { funding, bid, site: h1 };
        advance(&app, &s1, "ACTIVE").await;
        let project = s1.bid.project.clone();
        let a = Active { measure: create_measure(&app, &l1, &project).await, setup: s1 };
        stable_then_shift(&app, &a, false).await;
        let b = draft_project(&app, &a.setup.funding).await;
        let h2 = answered_site(&app, &b, true).await;
        // P2: project C (L3, H3), funder F2.
        let p2 = open_programme(&app).await;
        let c = draft_project(&app, &p2).await;
        let h3 = answered_site(&app, &c, true).await;
        let (_, x) = party(&app, InstitutionKind::ProfessionalBody).await;
        let (s, s_token) = party(&app, InstitutionKind::HostInstitution).await;

        let v = |name, token: &str, participant| Viewer { name, token: token.to_owned(), participant };
        let viewers = [
            v("L1", &l1, true), v("H1", &a.setup.site.token, true), v("F1", &f1, true),
            v("L2", &b.lead_token, false), v("H2", &h2.token, false), v("H_declined", &declined.token, false),
            v("L3", &c.lead_token, false), v("H3", &h3.token, false), v("F2", &p2.funder_token, false),
            v("S", &s_token, false), v("X", &x, false),
        ];
        let missing_node = node(&app, &l1, &missing("SharedResult")).await;
        assert_eq!(missing_node, json!({ "data": { "node": null } }));

        for (visibility, sees) in [
            ("PROJECT", vec!["L1", "H1", "F1", "S"]),
            ("PROGRAMME", vec!["L1", "H1", "F1", "L2", "H2", "S"]),
            ("PLATFORM", vec!["L1", "H1", "F1", "L2", "H2", "H_declined", "L3", "H3", "F2", "S", "X"]),
        ] {
            let title = format!("Finding {visibility}");
            let input = json!({ "title": title, "visibility": visibility, "measureIds": [a.measure], "shareWith": [institution_id(s)] });
            let id = draft_result(&app, &l1, &project, input).await;
            publish(&app, &l1, &id).await;
            let only = json!({ "search": title });
            for viewer in &viewers {
                let visible = sees.contains(&viewer.name);
                let context = format!("{visibility} as {}", viewer.name);
                assert_eq!(listed(&app, &viewer.token, json!(null)).await.contains(&id), visible, "list: {context}");
                assert_eq!(lessons_count(&app, &viewer.token, only.clone()).await, i64::from(visible), "lessons: {context}");
                if !visible {
                    assert_eq!(node(&app, &viewer.token, &id).await, missing_node, "node: {context}");
                    continue;
                }
                let seen = result(&app, &viewer.token, &id).await;
                assert_eq!(seen["id"], json!(id), "{context}");
                assert_eq!(seen["projectTitle"], json!("Sepsis six"), "{context}");
                assert_eq!(seen["projectLead"]["id"], json!(institution_id(a.setup.bid.college)), "{context}");
                let linked = &seen["measures"][0];
                assert!(linked["frozenAnalysis"]["verdict"].is_string(), "{context}: {seen}");
                if viewer.participant {
                    assert_eq!(seen["project"]["id"], json!(project), "{context}");
                    assert_eq!(linked["measure"]["id"], json!(a.measure), "{context}");
                    continue;
                }
                // The limited view: the result, the project's title and lead, the snapshot.
                assert!(seen["project"].is_null(), "{context}: {seen}");
                assert!(linked["measure"].is_null(), "{context}: {seen}");
                assert_eq!(seen["sharedWith"], json!([]), "{context}");
                let direct = app.graphql("query($p: ID!) { project(id: $p) { id } }", json!({ "p": project }), Some(&viewer.token)).await;
                assert_eq!(direct, json!({ "data": { "project": null } }), "{context}");
                assert_eq!(node(&app, &viewer.token, &project).await, missing_node, "{context}");
                assert_eq!(node(&app, &viewer.token, &a.measure).await, missing_node, "{context}");
            }
            // The lead sees whom it is shared with.
            let own = result(&app, &l1, &id).await;
            assert_eq!(own["sharedWith"], json!([{ "id": institution_id(s) }]));
        }

        // A draft is for the lead only.
        let draft = draft_result(&app, &l1, &project, json!({ "title": "Unfinished", "visibility": "PLATFORM", "shareWith": [institution_id(s)] })).await;
        let unpublished = json!({ "includeUnpublished": true });
        assert!(listed(&app, &l1, unpublished.clone()).await.contains(&draft));
        assert_eq!(result(&app, &l1, &draft).await["status"], json!("DRAFT"));
        for viewer in viewers.iter().filter(|v| v.name != "L1") {
            assert!(!listed(&app, &viewer.token, unpublished.clone()).await.contains(&draft), "{}", viewer.name);
            assert_eq!(node(&app, &viewer.token, &draft).await, missing_node, "draft as {}", viewer.name);
        }
    }
}

db_test! {
    async fn publishing_freezes_the_analysis_of_linked_measures(app) {
        let a = active_project(&app).await;
        let lead = a.setup.bid.lead_token.clone();
        stable_then_shift(&app, &a, false).await;
        let live = |body: Value| body["data"]["node"]["analysis"].clone();
        let before = live(app.graphql(LIVE, json!({ "m": a.measure }), Some(&lead)).await);
        let id = draft_result(&app, &lead, &a.setup.bid.project, json!({ "measureIds": [a.measure] })).await;
        assert_eq!(result(&app, &lead, &id).await["measures"][0]["frozenAnalysis"], Value::Null, "nothing frozen in a draft");
        publish(&app, &lead, &id).await;
        let frozen = result(&app, &lead, &id).await["measures"][0]["frozenAnalysis"].clone();
        assert_eq!(frozen["verdict"], before["verdict"]["verdict"]);
        assert_eq!(frozen["points"], json!(20));
        assert_eq!(frozen["centre"], before["spc"]["segments"].as_array().unwrap().last().unwrap()["centre"]);
        assert!(frozen["takenAt"].is_string());

        // A big sustained rise, recorded by the lead and by the site afterwards.
        record_weeks(&app, &lead, &a, 0..6, |_| 19.0).await;
        record_weeks(&app, &a.setup.site.token, &a, 6..12, |_| 20.0).await;
        let after = live(app.graphql(LIVE, json!({ "m": a.measure }), Some(&lead)).await);
        assert_eq!(after["spc"]["points"].as_array().unwrap().len(), 31, "this week, not yet ended, is left out");
        assert_ne!(after["verdict"]["verdict"], before["verdict"]["verdict"], "{after}");
        assert_eq!(after["verdict"]["verdict"], json!("IMPROVING"));
        for token in [&lead, &a.setup.site.token, &a.setup.funding.funder_token] {
            let again = result(&app, token, &id).await["measures"][0]["frozenAnalysis"].clone();
            assert_eq!(again, frozen, "the published claim does not move");
        }
    }
}

db_test! {
    async fn a_published_result_changes_only_by_new_versions(app) {
        let a = active_project(&app).await;
        let (lead, site) = (a.setup.bid.lead_token.clone(), a.setup.site.token.clone());
        let v1 = draft_result(&app, &lead, &a.setup.bid.project, json!({ "title": "First claim" })).await;
        publish(&app, &lead, &v1).await;

        let input = json!({ "id": v1, "title": "Second claim" });
        let edited = ok(&app, &lead, UPDATE_RESULT, json!({ "input": input })).await["sharedResult"].clone();
        assert_eq!((edited["version"].clone(), edited["status"].clone()), (json!(2), json!("DRAFT")));
        let v2 = edited["id"].as_str().unwrap().to_owned();
        assert_ne!(v2, v1);
        let first = result(&app, &lead, &v1).await;
        assert_eq!((first["title"].clone(), first["status"].clone()), (json!("First claim"), json!("PUBLISHED")));
        assert_eq!(result(&app, &site, &v1).await["title"], json!("First claim"));
        assert_eq!(result(&app, &site, &v2).await, Value::Null, "the next draft is the lead's");

        publish(&app, &lead, &v2).await;
        assert_eq!(result(&app, &lead, &v1).await["status"], json!("SUPERSEDED"));
        assert_eq!(result(&app, &site, &v2).await["title"], json!("Second claim"));
        assert_eq!(listed(&app, &site, json!(null)).await, vec![v2.clone()]);

        let withdrawn = ok(&app, &lead, UNPUBLISH, json!({ "id": v2 })).await;
        assert_eq!(withdrawn["sharedResult"]["status"], json!("WITHDRAWN"));
        assert_eq!(result(&app, &lead, &v2).await["status"], json!("WITHDRAWN"));
        assert_eq!(result(&app, &site, &v2).await, Value::Null);
        assert_eq!(listed(&app, &site, json!(null)).await, Vec::<String>::new());
        assert_eq!(lessons_count(&app, &site, json!(null)).await, 0);

        publish(&app, &lead, &v2).await;
        assert_eq!(result(&app, &site, &v2).await["status"], json!("PUBLISHED"));
        assert_eq!(listed(&app, &site, json!(null)).await, vec![v2.clone()]);

        let audit = "{ viewer { institution { auditEvents(last: 50) { edges { node { action subjectId } } } } } }";
        let body = app.graphql(audit, json!({}), Some(&lead)).await;
        let actions: Vec<(String, String)> = body["data"]["viewer"]["institution"]["auditEvents"]["edges"]
            .as_array().unwrap_or_else(|| panic!("{body}")).iter()
            .filter(|e| e["node"]["action"].as_str().unwrap().starts_with("shared_result."))
            .map(|e| (e["node"]["action"].as_str().unwrap().to_owned(), e["node"]["subjectId"].as_str().unwrap().to_owned()))
            .collect();
        let expected = [("create", &v1), ("publish", &v1), ("update", &v2), ("publish", &v2), ("unpublish", &v2), ("publish", &v2)];
        let expected: Vec<(String, String)> = expected.iter().map(|(a, id)| (format!("shared_result.{a}"), (*id).clone())).collect();
        assert_eq!(actions, expected);
    }
}

/// The three tables a result writes.
async fn result_rows(app: &TestApp) -> [i64; 3] {
    [
        count_rows(app, "shared_results").await,
        count_rows(app, "shared_result_measures").await,
        count_rows(app, "shared_result_shares").await,
    ]
}

db_test! {
    async fn only_the_leads_writers_draft_edit_and_publish(app) {
        let a = active_project(&app).await;
        let (lead, project) = (a.setup.bid.lead_token.clone(), a.setup.bid.project.clone());
        let create = |project: &str| json!({ "input": {
            "projectId": project, "title": "T", "summary": "S", "outcome": "LESSON", "visibility": "PROJECT",
        } });
        let member = app.token(a.setup.bid.college, Role::Member).await;
        let published = draft_result(&app, &member, &project, json!({})).await;
        publish(&app, &member, &published).await;
        let draft = draft_result(&app, &lead, &project, json!({})).await;
        let before = result_rows(&app).await;

        let viewer = app.token(a.setup.bid.college, Role::Viewer).await;
        let refused = [&a.setup.site.token, &a.setup.funding.funder_token, &viewer];
        for token in refused {
            let body = app.graphql(CREATE_RESULT, create(&project), Some(token)).await;
            assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
            let edit = json!({ "input": { "id": published, "title": "Changed" } });
            assert_eq!(error_code(&app.graphql(UPDATE_RESULT, edit, Some(token)).await), "FORBIDDEN");
            assert_eq!(error_code(&app.graphql(UNPUBLISH, json!({ "id": published }), Some(token)).await), "FORBIDDEN");
        }
        // The lead's viewer sees the draft but may not publish it.
        assert_eq!(error_code(&app.graphql(PUBLISH, json!({ "id": draft }), Some(&viewer)).await), "FORBIDDEN");
        let read = api_token(&app, &lead, "READ").await;
        for (query, variables) in [(CREATE_RESULT, create(&project)), (PUBLISH, json!({ "id": draft }))] {
            let (status, body) = app.graphql_status(query, variables, Some(&read)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
            assert_eq!(error_code(&body), "FORBIDDEN");
        }

        // An outsider, and a site for a draft it cannot see: exactly as a missing ID.
        let (_, outsider) = party(&app, InstitutionKind::RoyalCollege).await;
        let absent_project = app.graphql(CREATE_RESULT, create(&missing("Project")), Some(&lead)).await;
        assert_eq!(problems(payload(&absent_project)), problem("input.projectId", "NOT_FOUND"));
        assert_eq!(app.graphql(CREATE_RESULT, create(&project), Some(&outsider)).await, absent_project);
        let absent = app.graphql(PUBLISH, json!({ "id": missing("SharedResult") }), Some(&lead)).await;
        assert_eq!(problems(payload(&absent)), problem("input.id", "NOT_FOUND"));
        for (token, id) in [(&outsider, &published), (&outsider, &draft), (&a.setup.site.token, &draft)] {
            assert_eq!(app.graphql(PUBLISH, json!({ "id": id }), Some(token)).await, absent);
        }
        assert_eq!(result_rows(&app).await, before, "nothing written by a refused call");

        // Bad input: clear user errors, nothing half-written.
        let other = create_project(&app, &lead, None, "Another").await;
        let foreign = create_measure(&app, &lead, &other).await;
        let valid = |extra: Value| {
            let mut input = create(&project)["input"].clone();
            input["measureIds"] = json!([a.measure]);
            input["shareWith"] = json!([institution_id(a.setup.site.host)]);
            for (k, v) in extra.as_object().unwrap() {
                input[k] = v.clone();
            }
            json!({ "input": input })
        };
        let cases = [
            (json!({ "title": "  " }), problem("input.title", "REQUIRED")),
            (json!({ "title": "x".repeat(301) }), problem("input.title", "INVALID")),
            (json!({ "measureIds": [a.measure, foreign] }), problem("input.measureIds.1", "NOT_FOUND")),
            (json!({ "measureIds": [foreign] }), problem("input.measureIds.0", "NOT_FOUND")),
            (json!({ "shareWith": [missing("Institution")] }), problem("input.shareWith.0", "NOT_FOUND")),
        ];
        for (extra, expected) in cases {
            let body = app.graphql(CREATE_RESULT, valid(extra.clone()), Some(&lead)).await;
            assert_eq!(problems(payload(&body)), expected, "{extra}");
            assert!(payload(&body)["sharedResult"].is_null());
            let edit = json!({ "input": { "id": draft, "title": extra.get("title"), "measureIds": extra.get("measureIds"), "shareWith": extra.get("shareWith") } });
            let body = app.graphql(UPDATE_RESULT, edit, Some(&lead)).await;
            assert_eq!(problems(payload(&body)), expected, "update {extra}");
        }
        let body = app.graphql(CREATE_RESULT, valid(json!({ "barrierTags": ["BAD_WEATHER"] })), Some(&lead)).await;
        assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED");
        assert_eq!(result_rows(&app).await, before, "nothing half-written");
        assert_eq!(result(&app, &lead, &draft).await["title"], json!("Faster antibiotics"));
        ok(&app, &lead, CREATE_RESULT, valid(json!({}))).await;
        assert_eq!(result_rows(&app).await, [before[0] + 1, before[1] + 1, before[2] + 1]);
    }
}

const EVALUATION: &str = "query($p: ID!) { programme(id: $p) { evaluation {
  projectsByStatus { status count }
  improvement { fundedProjects projectsShowingImprovement }
  engagement { projectTitle clinicians serviceUsers others }
  barrierTags { tag count }
  publishedResults { title }
} } }";
const ENGAGE: &str = "mutation($input: RecordEngagementInput!) {
  recordEngagement(input: $input) { engagement { clinicians } userErrors { field code message } }
}";

db_test! {
    async fn the_funder_sees_the_programme_evaluation_and_nobody_else_does(app) {
        let a = active_project(&app).await;
        let lead = a.setup.bid.lead_token.clone();
        stable_then_shift(&app, &a, true).await;
        let b = draft_project(&app, &a.setup.funding).await;
        let this_month = app.this_month();
        let last_month = (this_month - chrono::Duration::days(1)).with_day(1).unwrap();
        for (month, clinicians) in [(this_month, 12), (last_month, 8)] {
            let input = json!({ "projectId": a.setup.bid.project, "periodStart": month.to_string(), "clinicians": clinicians, "serviceUsers": 3, "others": 1 });
            ok(&app, &lead, ENGAGE, json!({ "input": input })).await;
        }
        let project = &a.setup.bid.project;
        let published = draft_result(&app, &lead, project, json!({ "title": "Published", "barrierTags": ["TIME_PRESSURE", "IT_INTEGRATION"] })).await;
        publish(&app, &lead, &published).await;
        draft_result(&app, &lead, project, json!({ "title": "Draft", "barrierTags": ["FUNDING"] })).await;

        let body = app.graphql(EVALUATION, json!({ "p": a.setup.funding.programme }), Some(&a.setup.funding.funder_token)).await;
        let e = &body["data"]["programme"]["evaluation"];
        let mut statuses = e["projectsByStatus"].as_array().unwrap_or_else(|| panic!("{body}")).clone();
        statuses.sort_by_key(|s| s["status"].as_str().unwrap().to_owned());
        // The draft bid `b` does not reach the funder until it is submitted, so it is not counted.
        assert_eq!(statuses, vec![json!({ "status": "ACTIVE", "count": 1 })], "{}", b.project);
        assert_eq!(e["improvement"], json!({ "fundedProjects": 1, "projectsShowingImprovement": 1 }));
        let mut engagement = e["engagement"].as_array().unwrap().clone();
        engagement.sort_by_key(|p| p["clinicians"].as_i64().unwrap());
        assert_eq!(engagement, vec![
            json!({ "projectTitle": "Sepsis six", "clinicians": 20, "serviceUsers": 6, "others": 2 }),
        ]);
        assert_eq!(e["barrierTags"], json!([{ "tag": "TIME_PRESSURE", "count": 1 }, { "tag": "IT_INTEGRATION", "count": 1 }]));
        assert_eq!(e["publishedResults"], json!([{ "title": "Published" }]));

        let (_, outsider) = party(&app, InstitutionKind::RoyalCollege).await;
        let (_, other_funder) = party(&app, InstitutionKind::Funder).await;
        let funder_viewer = app.token(a.setup.funding.funder, Role::Viewer).await;
        for token in [&lead, &a.setup.site.token, &b.lead_token, &outsider, &other_funder] {
            let body = app.graphql(EVALUATION, json!({ "p": a.setup.funding.programme }), Some(token)).await;
            assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
        }
        let body = app.graphql(EVALUATION, json!({ "p": a.setup.funding.programme }), Some(&funder_viewer)).await;
        assert!(body.get("errors").is_none(), "the funder's viewers read it: {body}");
    }
}

db_test! {
    async fn published_after_lists_only_what_is_new_since_a_given_instant(app) {
        let a = active_project(&app).await;
        let lead = a.setup.bid.lead_token.clone();
        let first = draft_result(&app, &lead, &a.setup.bid.project, json!({ "title": "First" })).await;
        publish(&app, &lead, &first).await;
        let seen = app.graphql("query($id: ID!) { node(id: $id) { ... on SharedResult { publishedAt } } }", json!({ "id": first }), Some(&lead)).await;
        let first_at = seen["data"]["node"]["publishedAt"].clone();
        assert!(first_at.is_string(), "{seen}");
        app.clock.advance(chrono::Duration::minutes(5));
        let second = draft_result(&app, &lead, &a.setup.bid.project, json!({ "title": "Second" })).await;
        publish(&app, &lead, &second).await;

        assert_eq!(listed(&app, &lead, json!({ "publishedAfter": first_at })).await, vec![second.clone()]);
        let both = listed(&app, &lead, json!({})).await;
        assert!(both.contains(&first) && both.contains(&second), "without the filter, both: {both:?}");
        let later = (app.clock.now() + chrono::Duration::minutes(1)).to_rfc3339();
        assert!(listed(&app, &lead, json!({ "publishedAfter": later })).await.is_empty());

        // An instant without its offset is refused before anything runs, naming the field and
        // the format it should have.
        let body = app.graphql(LIST, json!({ "filter": { "publishedAfter": "2026-01-01T10:00" } }), Some(&lead)).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], json!("GRAPHQL_VALIDATION_FAILED"), "{body}");
        assert!(body.get("data").is_none(), "never executed: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("filter.publishedAfter"), "{message}");
        assert!(message.contains("RFC 3339") && message.contains("2026-03-01T09:00:00Z"), "{message}");
    }
}
