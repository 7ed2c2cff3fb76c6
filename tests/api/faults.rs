//! When the database goes away under a running server, an integration script is told to retry
//! (503, `Retry-After`, `SERVICE_UNAVAILABLE`) rather than handed an INTERNAL error it cannot
//! tell from a bug, and the server recovers by itself when the database is back.

use std::time::Duration;

use entity::institution::InstitutionKind;
use entity::membership::Role;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use springboard::db;

use crate::helpers::*;
use crate::{db_test, db_test_with};

const VIEWER: &str = "{ viewer { user { email } } }";

async fn ask(app: &TestApp, token: &str) -> (StatusCode, Option<String>, Value) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": VIEWER }))
        .send()
        .await
        .unwrap();
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    (response.status(), retry_after, response.json().await.unwrap())
}

async fn readyz(app: &TestApp) -> StatusCode {
    app.client.get(app.url("/readyz")).send().await.unwrap().status()
}

/// Polls `check` every 100 ms for up to `limit`.
async fn eventually<F: AsyncFn() -> bool>(limit: Duration, check: F) -> bool {
    let started = std::time::Instant::now();
    while started.elapsed() < limit {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn a_database_outage_is_a_503_with_retry_after_and_the_server_recovers_by_itself() {
    let Some(app) = spawn_app_with(Backend::OwnPostgresDatabase, |s| s.request_deadline_ms = 3_000).await
    else {
        eprintln!("TEST_DATABASE_URL is not set: this PostgreSQL-only test did not run");
        return;
    };
    let institution = app.institution(InstitutionKind::HostInstitution).await;
    let token = app.token(institution, Role::Member).await;
    assert_eq!(ask(&app, &token).await.0, StatusCode::OK);
    let (name, admin_url) = app.own_database().map(|(n, u)| (n.to_owned(), u.to_owned())).unwrap();
    let admin = db::connect(&admin_url, 1).await.unwrap();

    // Cut the server off: no new connections, and every open one terminated.
    admin.execute_unprepared(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false")).await.unwrap();
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ))
        .await
        .unwrap();

    for _ in 0..3 {
        let (status, retry_after, body) = ask(&app, &token).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(retry_after.as_deref(), Some("1"), "{body}");
        assert_eq!(error_code(&body), "SERVICE_UNAVAILABLE", "{body}");
        assert_eq!(body["errors"][0]["extensions"]["reason"], json!("DATABASE_UNREACHABLE"), "{body}");
        assert!(!body.to_string().contains("pg_"), "nothing of the database's own message leaks: {body}");
    }
    assert!(
        eventually(Duration::from_secs(5), async || readyz(&app).await == StatusCode::SERVICE_UNAVAILABLE)
            .await
    );

    admin.execute_unprepared(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true")).await.unwrap();
    let recovered =
        eventually(Duration::from_secs(10), async || ask(&app, &token).await.0 == StatusCode::OK).await;
    assert!(recovered, "the server serves again without a restart");
    assert!(eventually(Duration::from_secs(5), async || readyz(&app).await == StatusCode::OK).await);
}

db_test! {
    async fn on_shutdown_a_request_in_flight_finishes_and_new_connections_are_refused(app) {
        let s = crate::project_fixtures::setup(&app).await;
        // The rename below waits on the held row, so it is in flight when the shutdown begins.
        let txn = crate::project_fixtures::hold_project(&app, &s.bid.project).await;
        let rename = tokio::spawn({
            let (client, url, token, id) = (app.client.clone(), app.url("/graphql"), s.bid.lead_token.clone(), s.bid.project.clone());
            async move {
                let query = "mutation($id: ID!) { updateProject(input: {id: $id, title: \"Renamed\"}) { project { title } userErrors { code } } }";
                let response = client.post(url).bearer_auth(token).json(&json!({ "query": query, "variables": { "id": id } })).send().await.unwrap();
                (response.status(), response.json::<Value>().await.unwrap())
            }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;

        let stopping = tokio::spawn({
            let shutdown = app.shutdown.clone();
            async move { shutdown.begin().await }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        let fresh = reqwest::Client::new().get(app.url("/readyz")).timeout(Duration::from_secs(2)).send().await;
        assert!(
            fresh.as_ref().map_or(true, |r| r.status() == StatusCode::SERVICE_UNAVAILABLE),
            "a stopping server takes no new work: {fresh:?}"
        );

        txn.rollback().await.unwrap();
        let (status, body) = rename.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["data"]["updateProject"]["project"]["title"], json!("Renamed"), "{body}");
        stopping.await.unwrap();
        assert!(app.stopped().await.is_ok(), "the server stops cleanly");
    }
}

#[tokio::test]
async fn replicas_starting_together_on_an_empty_database_migrate_it_once() {
    let Some(first) = spawn_app_with(Backend::OwnPostgresDatabase, |_| {}).await else {
        eprintln!("TEST_DATABASE_URL is not set: this PostgreSQL-only test did not run");
        return;
    };
    let (name, admin_url) = first.own_database().map(|(n, u)| (n.to_owned(), u.to_owned())).unwrap();
    // A second database, empty, for two servers to start on at once.
    let admin = db::connect(&admin_url, 1).await.unwrap();
    let empty = format!("{name}_race");
    admin.execute_unprepared(&format!("CREATE DATABASE \"{empty}\"")).await.unwrap();
    let url = database_url(&admin_url, &empty);
    let start = |url: String| async move {
        let mut settings = settings(&url);
        settings.bind = "127.0.0.1:0".into();
        springboard::startup::Application::build(settings).await
    };
    let (a, b) = tokio::join!(start(url.clone()), start(url.clone()));
    let started = (a.is_ok(), b.is_ok());
    let applied = {
        let conn = db::connect(&url, 1).await.unwrap();
        let row = conn
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT COUNT(*) AS n FROM seaql_migrations".to_owned(),
            ))
            .await
            .unwrap()
            .unwrap();
        let applied: i64 = row.try_get("", "n").unwrap();
        conn.close().await.unwrap();
        applied
    };
    drop((a, b));
    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{empty}\" WITH (FORCE)")).await.unwrap();
    assert_eq!(started, (true, true), "both replicas start");
    let known = <migration::Migrator as migration::MigratorTrait>::migrations().len();
    assert_eq!(usize::try_from(applied).unwrap(), known, "every migration applied exactly once");
}

db_test_with! {
    async fn while_draining_readyz_is_503_and_requests_are_still_served(app) with |s| s.shutdown_drain_secs = 2;
    {
        let token = app.token(app.institution(InstitutionKind::HostInstitution).await, Role::Member).await;
        let stopping = tokio::spawn({
            let shutdown = app.shutdown.clone();
            async move { shutdown.begin().await }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(readyz(&app).await, StatusCode::SERVICE_UNAVAILABLE, "a load balancer sees it drain");
        assert_eq!(ask(&app, &token).await.0, StatusCode::OK, "requests are still served while draining");
        stopping.await.unwrap();
        assert!(app.stopped().await.is_ok());
    }
}
