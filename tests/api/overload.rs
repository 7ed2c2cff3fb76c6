//! Under overload the server answers at once: heavy work beyond the admission bound is refused
//! with 503 while cheap work runs, a request stops at its deadline (waiting for a database
//! connection included), and health checks never queue behind requests.

use std::time::Duration;

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::db_test_with;
use crate::helpers::*;
use crate::project_fixtures::*;

/// Renames the project and asks for its payload's user errors sixty times over: a mutation
/// costing well over 100, so it is weighed against the admission bound.
fn heavy_rename(project: &str) -> (String, Value) {
    let aliases: Vec<String> = (0..60).map(|i| format!("e{i}: userErrors {{ code }}")).collect();
    let query = format!(
        "mutation($id: ID!) {{ updateProject(input: {{id: $id, title: \"Renamed\"}}) {{ project {{ id }} {} }} }}",
        aliases.join(" ")
    );
    (query, json!({ "id": project }))
}

async fn admission_gauge(app: &TestApp) -> f64 {
    metric(app, "springboard_admission{state=\"cost_in_flight\"}").await.unwrap_or(0.0)
}

db_test_with! {
    async fn heavy_work_beyond_the_admission_bound_is_refused_at_once_while_cheap_work_runs(app) with |s| {
        s.max_concurrent_cost = 150;
        s.admission_queue = 0;
    };
    {
        let s = setup(&app).await;
        let lead = s.bid.lead_token.clone();
        let (heavy, variables) = heavy_rename(&s.bid.project);

        // The first rename waits on the held row, inside the database, while it holds its
        // admission.
        let txn = hold_project(&app, &s.bid.project).await;
        let first = tokio::spawn({
            let (client, url, lead, heavy, variables) = (app.client.clone(), app.url("/graphql"), lead.clone(), heavy.clone(), variables.clone());
            async move {
                let response = client.post(url).bearer_auth(lead).json(&json!({ "query": heavy, "variables": variables })).send().await.unwrap();
                (response.status(), response.json::<Value>().await.unwrap())
            }
        });
        let mut waited = 0;
        while admission_gauge(&app).await < 100.0 {
            waited += 1;
            assert!(waited < 200, "the first rename was never admitted");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }

        let started = std::time::Instant::now();
        let response = app.client.post(app.url("/graphql")).bearer_auth(&lead)
            .json(&json!({ "query": heavy, "variables": variables })).send().await.unwrap();
        let refused_after = started.elapsed();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers().get("retry-after").map(|v| v.to_str().unwrap()), Some("1"));
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_code(&body), "SERVICE_UNAVAILABLE", "{body}");
        assert!(refused_after < Duration::from_secs(1), "refused at once, not after a wait: {refused_after:?}");

        let cheap = app.graphql("{ viewer { user { email } } }", json!({}), Some(&lead)).await;
        assert!(cheap.get("errors").is_none(), "{cheap}");

        txn.rollback().await.unwrap();
        let (status, body) = first.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["data"]["updateProject"]["project"]["id"], json!(s.bid.project), "{body}");
    }
}

db_test_with! {
    async fn a_request_stops_at_its_deadline_while_waiting_for_a_connection_and_health_still_answers(app) with |s| {
        s.database.db_max_connections = 1;
        s.request_deadline_ms = 700;
    };
    {
        let college = app.institution(entity::institution::InstitutionKind::RoyalCollege).await;
        let lead = app.token(college, entity::membership::Role::Admin).await;
        let before = count_rows(&app, "projects").await;

        // The test takes the request pool's only connection.
        let txn = app.request_pool.begin().await.unwrap();
        txn.execute_raw(Statement::from_string(app.db.backend(), "SELECT 1".to_owned())).await.unwrap();

        let input = json!({ "input": { "title": "Too late", "aimStatement": "a", "clinicalArea": "b" } });
        let started = std::time::Instant::now();
        let (status, body) = app.graphql_status(CREATE_PROJECT, input, Some(&lead)).await;
        let took = started.elapsed();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(error_code(&body), "DEADLINE_EXCEEDED", "{body}");
        assert!(took < Duration::from_millis(700 + 1_500), "answered at the deadline, not later: {took:?}");

        for path in ["/healthz", "/readyz"] {
            let response = app.client.get(app.url(path)).timeout(Duration::from_secs(2)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path} answers while the pool is held");
        }

        txn.rollback().await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(count_rows(&app, "projects").await, before, "the stopped request never ran later");
        let (status, _) = app.graphql_status("{ viewer { user { email } } }", json!({}), Some(&lead)).await;
        assert_eq!(status, StatusCode::OK, "the server serves again once the connection is free");
    }
}
