//! Safe retries: a mutation sent again with the same `Idempotency-Key` gets its first answer
//! back and runs once; the key with another request, or while the first still runs, is refused.

use entity::institution::InstitutionKind;
use entity::membership::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::db_test;
use crate::helpers::*;
use crate::project_fixtures::CREATE_PROJECT;

async fn send(
    app: &TestApp,
    token: Option<&str>,
    key: &str,
    body: &Value,
) -> (StatusCode, Option<String>, Value) {
    let mut request = app.client.post(app.url("/graphql")).header("Idempotency-Key", key).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let replayed = response.headers().get("idempotency-replayed").map(|v| v.to_str().unwrap().to_owned());
    (response.status(), replayed, response.json().await.unwrap())
}

fn create(title: &str) -> Value {
    json!({ "query": CREATE_PROJECT, "variables": { "input": { "title": title, "aimStatement": "a", "clinicalArea": "b" } } })
}

db_test! {
    async fn the_same_key_and_request_get_the_first_answer_and_run_once(app) {
        let college = app.institution(InstitutionKind::RoyalCollege).await;
        let token = app.token(college, Role::Admin).await;
        let before = count_rows(&app, "projects").await;

        let (status, replayed, first) = send(&app, Some(&token), "create-sepsis-1", &create("Sepsis")).await;
        assert_eq!((status, replayed), (StatusCode::OK, None), "{first}");
        let (status, replayed, again) = send(&app, Some(&token), "create-sepsis-1", &create("Sepsis")).await;
        assert_eq!((status, replayed.as_deref()), (StatusCode::OK, Some("true")));

        assert_eq!(again, first, "the first answer, with the same project id");
        assert_eq!(count_rows(&app, "projects").await, before + 1, "the mutation ran once");

        // Keys are per caller: another member's identical key is theirs alone.
        let colleague = app.token(college, Role::Member).await;
        let (status, replayed, theirs) = send(&app, Some(&colleague), "create-sepsis-1", &create("Sepsis")).await;
        assert_eq!((status, replayed), (StatusCode::OK, None));
        assert_ne!(theirs["data"]["createProject"]["project"]["id"], first["data"]["createProject"]["project"]["id"]);
        assert_eq!(count_rows(&app, "projects").await, before + 2);
    }
}

db_test! {
    async fn a_key_reused_for_another_request_or_misused_is_refused(app) {
        let college = app.institution(InstitutionKind::RoyalCollege).await;
        let token = app.token(college, Role::Admin).await;
        send(&app, Some(&token), "k-1", &create("Sepsis")).await;
        let before = count_rows(&app, "projects").await;

        let (status, _, body) = send(&app, Some(&token), "k-1", &create("Falls")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(error_code(&body), "IDEMPOTENCY_KEY_REUSED");

        let (status, _, body) = send(&app, None, "k-2", &create("Falls")).await;
        assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "BAD_REQUEST"), "no caller, no key");
        let batch = json!([create("Falls"), create("Delirium")]);
        let (status, _, body) = send(&app, Some(&token), "k-3", &batch).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let (status, _, body) = send(&app, Some(&token), &"k".repeat(256), &create("Falls")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(count_rows(&app, "projects").await, before, "nothing refused was done");

        // A query is safe to repeat: its key changes nothing.
        let (status, replayed, body) = send(&app, Some(&token), "k-1", &json!({ "query": "{ viewer { role } }" })).await;
        assert_eq!((status, replayed), (StatusCode::OK, None), "{body}");
        assert_eq!(body["data"]["viewer"]["role"], json!("ADMIN"));
    }
}

db_test! {
    async fn a_key_whose_first_request_still_runs_is_409_and_then_replays(app) {
        if app.db.backend() == sea_orm::DbBackend::Sqlite {
            // SQLite has one writer, and holding it is how this test keeps the first request
            // running: a second request could not even claim its key there.
            eprintln!("shown on PostgreSQL only");
            return;
        }
        let s = crate::project_fixtures::setup(&app).await;
        let lead = s.bid.lead_token.clone();
        let rename = json!({
            "query": "mutation($id: ID!) { updateProject(input: {id: $id, title: \"Renamed\"}) { project { title } userErrors { code } } }",
            "variables": { "id": s.bid.project },
        });
        let txn = crate::project_fixtures::hold_project(&app, &s.bid.project).await;
        let first = tokio::spawn({
            let (client, url, lead, rename) = (app.client.clone(), app.url("/graphql"), lead.clone(), rename.clone());
            async move {
                let response = client.post(url).bearer_auth(lead).header("Idempotency-Key", "rename-1").json(&rename).send().await.unwrap();
                (response.status(), response.json::<Value>().await.unwrap())
            }
        });
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;

        let response = app.client.post(app.url("/graphql")).bearer_auth(&lead).header("Idempotency-Key", "rename-1")
            .json(&rename).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::CONFLICT);
        assert!(response.headers().contains_key("retry-after"));
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_code(&body), "IDEMPOTENCY_KEY_IN_USE", "{body}");

        txn.rollback().await.unwrap();
        let (status, answer) = first.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{answer}");
        let (status, replayed, again) = send(&app, Some(&lead), "rename-1", &rename).await;
        assert_eq!((status, replayed.as_deref()), (StatusCode::OK, Some("true")));
        assert_eq!(again, answer);
    }
}
