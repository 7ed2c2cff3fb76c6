//! The test harness: `db_test!` and `spawn_app_with`, seeding shortcuts, and a GraphQL client.

use std::sync::atomic::{AtomicU32, Ordering};

use entity::institution::{self, InstitutionKind, Nation};
use entity::membership::Role;
use reqwest::StatusCode;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde_json::{Value, json};
use springboard::clock::ManualClock;
use springboard::db::{self, Db};
use springboard::identity::password::PasswordRules;
use springboard::identity::sealing::DataKeys;
use springboard::settings::{Secret, Settings};
use springboard::startup::Application;
use springboard::users::{Email, service as users};
use uuid::Uuid;

pub const PASSWORD: &str = "a long test password";
pub const JWT_KEYS: &str = "test:0123456789abcdef0123456789abcdef0123";
/// Seal authenticator secrets on test servers.
pub const DATA_KEYS: &str = "test:fedcba9876543210fedcba9876543210fedc";
/// The bearer token test servers require on `/metrics`.
pub const METRICS_TOKEN: &str = "test-metrics-scrape-token";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    /// A PostgreSQL database of the test's own (not a schema), for tests that cut the server
    /// off from its database.
    OwnPostgresDatabase,
}

/// Runs the body once against SQLite and once against PostgreSQL (when TEST_DATABASE_URL is
/// set; otherwise the PostgreSQL variant reports that it did not run and passes).
#[macro_export]
macro_rules! db_test {
    ($(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        $crate::db_test_with! { $(#[$meta])* async fn $name($app) with |_| {}; $body }
    };
}

/// As `db_test!`, with the settings adjusted first (limits, lifetimes). Attributes such as
/// `#[ignore]` go on each generated test.
#[macro_export]
macro_rules! db_test_with {
    ($(#[$meta:meta])* async fn $name:ident($app:ident) with $adjust:expr; $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            $(#[$meta])*
            async fn sqlite() {
                let $app = $crate::helpers::spawn_app_with($crate::helpers::Backend::Sqlite, $adjust).await.unwrap();
                $body
            }

            #[tokio::test]
            $(#[$meta])*
            async fn postgres() {
                let Some($app) = $crate::helpers::spawn_app_with($crate::helpers::Backend::Postgres, $adjust).await
                else {
                    eprintln!("TEST_DATABASE_URL is not set: PostgreSQL variant not run");
                    return;
                };
                $body
            }
        }
    };
}

pub struct TestApp {
    pub address: String,
    /// The database across tenants, for fixtures and checks (as the identity flows see it).
    pub db: Db,
    /// The pool requests use, for tests that hold its connections.
    pub request_pool: Db,
    /// The private `/metrics` listener's port, when the test configured one.
    pub metrics_port: Option<u16>,
    /// The server's clock: follows real time until a test moves it.
    pub clock: ManualClock,
    pub client: reqwest::Client,
    /// Stops the server as SIGTERM does.
    pub shutdown: springboard::startup::Shutdown,
    /// What the server was built with, for `replica`.
    pub settings: Settings,
    server: std::sync::Mutex<Option<tokio::task::JoinHandle<std::io::Result<()>>>>,
    cleanup: Cleanup,
}

impl TestApp {
    /// Waits for the server to stop, and returns how it ended.
    pub async fn stopped(&self) -> std::io::Result<()> {
        let server = self.server.lock().unwrap().take().expect("the server was running");
        server.await.expect("the server task did not panic")
    }

    /// `GET /metrics` as the configured scraper sends it.
    pub async fn metrics_text(&self) -> String {
        let response = self.client.get(self.url("/metrics")).bearer_auth(METRICS_TOKEN).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "GET /metrics with its token");
        response.text().await.unwrap()
    }

    /// Statements each authenticated request adds for row level security: the one that names
    /// its actor to the policies, where they bind.
    pub fn scoping_statements(&self) -> u64 {
        u64::from(self.db.wall().enforced())
    }

    /// The PostgreSQL database of an `OwnPostgresDatabase` app, and the URL to administer it.
    pub fn own_database(&self) -> Option<(&str, &str)> {
        match &self.cleanup {
            Cleanup::Database { admin_url, name } => Some((name, admin_url)),
            _ => None,
        }
    }
}

enum Cleanup {
    /// A replica: the first server's database outlives it.
    Nothing,
    Directory(std::path::PathBuf),
    Schema {
        admin_url: String,
        schema: String,
    },
    Database {
        admin_url: String,
        name: String,
    },
}

impl Drop for TestApp {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Nothing => {}
            Cleanup::Directory(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Schema { .. } | Cleanup::Database { .. } => {
                let (url, sql) = match &self.cleanup {
                    Cleanup::Schema { admin_url, schema } => {
                        (admin_url.clone(), format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                    }
                    Cleanup::Database { admin_url, name } => {
                        (admin_url.clone(), format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    }
                    Cleanup::Directory(_) | Cleanup::Nothing => unreachable!("matched above"),
                };
                // Drop cannot await; a short-lived runtime on its own thread does the work. The
                // lock timeout matters: a transaction this test's runtime left open cannot roll
                // back while we block that runtime here, and DROP SCHEMA would wait for it forever.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                    runtime.block_on(async {
                        if let Ok(conn) = db::connect(&url, 1).await {
                            let _ = conn.execute_unprepared("SET lock_timeout = '3s'").await;
                            let _ = conn.execute_unprepared(&sql).await;
                        }
                    });
                    Ok::<_, std::io::Error>(())
                })
                .join();
            }
        }
    }
}

pub fn settings(database_url: &str) -> Settings {
    let mut settings = Settings::with_database(database_url);
    settings.bind = "127.0.0.1:0".into();
    settings.jwt_secrets = Some(Secret::new(JWT_KEYS));
    settings.two_factor.data_keys = Some(Secret::new(DATA_KEYS));
    settings.workers = Some(1);
    settings.database.db_max_connections = 5;
    settings.cors_origins = vec!["https://partner.example.org".into()];
    settings.metrics_token = Some(Secret::new(METRICS_TOKEN));
    // Budgets and the deny-list in the process unless a test asks for Redis (`with_redis`).
    settings.redis_url = None;
    settings
}

/// Settings for a server that shares its budgets and deny-list through the Redis at
/// TEST_REDIS_URL (by default the one this machine runs on 127.0.0.1:6379), under a key prefix
/// of the test's own so that tests running at once do not share budgets.
pub fn with_redis(settings: &mut Settings) {
    let url = std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned());
    settings.redis_url = Some(Secret::new(url));
    settings.redis_key_prefix = format!("springboard-test:{}:", Uuid::now_v7().simple());
}

/// A fresh database for one test: its URL and how to remove it afterwards.
async fn fresh_database(backend: Backend) -> Option<(String, Cleanup)> {
    match backend {
        Backend::Sqlite => {
            let dir =
                std::env::temp_dir().join("springboard-tests").join(Uuid::now_v7().simple().to_string());
            std::fs::create_dir_all(&dir).ok()?;
            let url = format!("sqlite://{}?mode=rwc", dir.join("test.db").display());
            Some((url, Cleanup::Directory(dir)))
        }
        Backend::Postgres => {
            let admin_url = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())?;
            let schema = format!("t_{}", Uuid::now_v7().simple());
            let conn = db::connect(&admin_url, 1).await.expect("TEST_DATABASE_URL is unreachable");
            conn.execute_unprepared(&format!("CREATE SCHEMA \"{schema}\"")).await.expect("creating a schema");
            let separator = if admin_url.contains('?') { '&' } else { '?' };
            let url = format!("{admin_url}{separator}options[search_path]={schema}");
            Some((url, Cleanup::Schema { admin_url, schema }))
        }
        Backend::OwnPostgresDatabase => {
            let admin_url = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())?;
            let name = format!("t_{}", Uuid::now_v7().simple());
            let conn = db::connect(&admin_url, 1).await.expect("TEST_DATABASE_URL is unreachable");
            conn.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("creating a database");
            let url = database_url(&admin_url, &name);
            Some((url, Cleanup::Database { admin_url, name }))
        }
    }
}

/// A server on port 0 over a fresh database, with the settings adjusted first (limits, lifetimes).
pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> Option<TestApp> {
    if std::env::var("TEST_LOG").is_ok() {
        drop(springboard::telemetry::init(springboard::settings::LogFormat::Text));
    }
    let (url, cleanup) = fresh_database(backend).await?;
    let mut settings = settings(&url);
    if !db::is_sqlite_url(&url) {
        // As in production: migrations as the owner, requests as a role the policies bind.
        settings.database.database_url = as_role(&url, RUNTIME_ROLE);
        settings.database.migration_database_url = Some(url);
    }
    adjust(&mut settings);
    let clock = ManualClock::shifted(chrono::Duration::zero());
    Some(start(settings, clock, cleanup).await)
}

async fn start(settings: Settings, clock: ManualClock, cleanup: Cleanup) -> TestApp {
    let app = Application::build_with_clock(settings.clone(), clock.clock())
        .await
        .expect("building the application");
    let address = format!("http://127.0.0.1:{}", app.port());
    let db = app.db();
    let request_pool = app.request_pool();
    let metrics_port = app.metrics_port();
    let shutdown = app.shutdown();
    let server = std::sync::Mutex::new(Some(tokio::spawn(app.run_until_stopped())));
    TestApp {
        address,
        db,
        request_pool,
        metrics_port,
        clock,
        client: reqwest::Client::new(),
        shutdown,
        settings,
        server,
        cleanup,
    }
}

impl TestApp {
    /// A second server on the same database, with the same settings (so the same Redis and key
    /// prefix, if any) and the same clock: another replica behind the load balancer.
    pub async fn replica(&self) -> TestApp {
        start(self.settings.clone(), self.clock.clone(), Cleanup::Nothing).await
    }
}

static SEQUENCE: AtomicU32 = AtomicU32::new(0);

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}-{}", SEQUENCE.fetch_add(1, Ordering::Relaxed), Uuid::now_v7().simple())
}

/// Someone who can sign in.
#[derive(Clone, Debug)]
pub struct Person {
    pub id: Uuid,
    pub email: String,
    /// The authenticator's secret, for people enrolled in two-factor sign-in.
    pub totp_secret: Option<Vec<u8>>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// The server's today plus `days`, as GraphQL dates are written.
    pub fn day(&self, days: i64) -> String {
        (self.clock.today() + chrono::Duration::days(days)).to_string()
    }

    /// The Monday of the server's current week.
    pub fn last_monday(&self) -> chrono::NaiveDate {
        let today = self.clock.today();
        today - chrono::Duration::days(i64::from(chrono::Datelike::weekday(&today).num_days_from_monday()))
    }

    /// The first day of the server's current month.
    pub fn this_month(&self) -> chrono::NaiveDate {
        let today = self.clock.today();
        today - chrono::Duration::days(i64::from(chrono::Datelike::day(&today)) - 1)
    }

    pub async fn institution(&self, kind: InstitutionKind) -> Uuid {
        let id = Uuid::now_v7();
        let now = self.clock.now();
        let slug = unique("inst");
        institution::Entity::insert(institution::ActiveModel {
            id: Set(id),
            name: Set(format!("Institution {slug}")),
            slug: Set(slug[..slug.len().min(60)].to_owned()),
            kind: Set(kind),
            nation: Set(Nation::England),
            require_two_factor: Set(false),
            // Tests reckon "this week" from the clock's UTC date, so their sites keep UTC's calendar.
            time_zone: Set("UTC".to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(self.db.conn())
        .await
        .unwrap();
        id
    }

    pub async fn person(&self) -> Person {
        self.person_with(false).await
    }

    pub async fn platform_admin(&self) -> Person {
        self.person_with(true).await
    }

    async fn person_with(&self, is_platform_admin: bool) -> Person {
        let email = format!("{}@example.org", unique("user"));
        let new = users::NewUser {
            email: Email::parse(&email, "email").unwrap(),
            name: "Test Person".into(),
            profession: Some("Nurse".into()),
            password: PasswordRules::default().check(PASSWORD, "password", &[]).unwrap(),
            is_platform_admin,
        };
        let user = users::insert(self.db.conn(), self.clock.now(), new, "email").await.unwrap();
        // Platform admins always sign in with a second factor.
        let totp_secret = match is_platform_admin {
            true => Some(self.enrol_authenticator(user.id).await),
            false => None,
        };
        Person { id: user.id, email, totp_secret }
    }

    /// Gives the person a confirmed authenticator, as `confirmTwoFactor` would, and returns its
    /// secret.
    pub async fn enrol_authenticator(&self, user_id: Uuid) -> Vec<u8> {
        let secret = springboard::identity::totp::new_secret().to_vec();
        let keys = DataKeys::parse(&Secret::new(DATA_KEYS)).unwrap();
        entity::totp_factor::Entity::insert(entity::totp_factor::ActiveModel {
            user_id: Set(user_id),
            sealed_secret: Set(keys.seal(&secret, user_id.as_bytes()).unwrap()),
            confirmed_at: Set(Some(self.clock.now())),
            last_step: Set(None),
            created_at: Set(self.clock.now()),
        })
        .exec_without_returning(self.db.conn())
        .await
        .unwrap();
        secret
    }

    /// The authenticator's code `steps` periods from the server's now.
    pub fn totp_code(&self, secret: &[u8], steps: i64) -> String {
        let step = springboard::identity::totp::step_at(self.clock.now()) + steps;
        springboard::identity::totp::code(secret, step)
    }

    /// Answers a sign-in challenge with the authenticator's code (the next period's if this
    /// period's was used already) and returns the `completeSignIn` payload.
    pub async fn complete_sign_in(&self, challenge: &str, secret: &[u8]) -> Value {
        let mut payload = Value::Null;
        for steps in [0, 1] {
            let variables =
                json!({ "input": { "challenge": challenge, "code": self.totp_code(secret, steps) } });
            let body = self.graphql(COMPLETE_SIGN_IN, variables, None).await;
            payload = body["data"]["completeSignIn"].clone();
            if payload["tokens"].is_object() {
                break;
            }
        }
        payload
    }

    pub async fn join(&self, person: &Person, institution: Uuid, role: Role) -> Uuid {
        springboard::members::service::insert(self.db.conn(), self.clock.now(), person.id, institution, role)
            .await
            .unwrap()
            .id
    }

    /// A new person with `role` in `institution`.
    pub async fn member(&self, institution: Uuid, role: Role) -> Person {
        let person = self.person().await;
        self.join(&person, institution, role).await;
        person
    }

    /// Signs in and returns the whole `signIn` payload.
    pub async fn sign_in_payload(&self, email: &str, password: &str, institution: Option<Uuid>) -> Value {
        let variables = json!({ "input": {
            "email": email,
            "password": password,
            "institutionId": institution.map(|id| global_id("Institution", id)),
        }});
        let body = self.graphql(SIGN_IN, variables, None).await;
        body["data"]["signIn"].clone()
    }

    /// Signs in and returns the access token.
    pub async fn sign_in(&self, person: &Person, institution: Option<Uuid>) -> String {
        let mut payload = self.sign_in_payload(&person.email, PASSWORD, institution).await;
        if let (Some(challenge), Some(secret)) = (payload["challenge"]["token"].as_str(), &person.totp_secret)
        {
            payload = self.complete_sign_in(challenge, secret).await;
        }
        payload["tokens"]["accessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("sign-in failed: {payload}"))
            .to_owned()
    }

    /// A new person with `role` in `institution`, signed in.
    pub async fn token(&self, institution: Uuid, role: Role) -> String {
        let person = self.member(institution, role).await;
        self.sign_in(&person, Some(institution)).await
    }

    /// POSTs a GraphQL request and returns the body, asserting a 200.
    pub async fn graphql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let (status, body) = self.graphql_status(query, variables, token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// POSTs a GraphQL request and returns the status, the headers and the body.
    pub async fn graphql_full(
        &self,
        query: &str,
        variables: Value,
        token: Option<&str>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut request =
            self.client.post(self.url("/graphql")).json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        (status, headers, response.json::<Value>().await.unwrap())
    }

    /// As `graphql_full`, without the headers and without `extensions.cost`: the budget left
    /// differs from one request to the next, so two answers that must be identical (a hidden
    /// object and a missing one) would differ by it. `rate_limits.rs` tests the cost.
    pub async fn graphql_status(
        &self,
        query: &str,
        variables: Value,
        token: Option<&str>,
    ) -> (StatusCode, Value) {
        let (status, _, body) = self.graphql_full(query, variables, token).await;
        (status, without_cost(body))
    }
}

/// `body` without `extensions.cost` (and without `extensions` if nothing else was in it).
pub fn without_cost(mut body: Value) -> Value {
    if let Some(object) = body.as_object_mut() {
        let emptied = object.get_mut("extensions").and_then(Value::as_object_mut).is_some_and(|extensions| {
            extensions.remove("cost");
            extensions.is_empty()
        });
        if emptied {
            object.remove("extensions");
        }
    }
    body
}

pub const SIGN_IN: &str = "mutation SignIn($input: SignInInput!) {
  signIn(input: $input) {
    tokens { accessToken refreshToken accessTokenExpiresAt }
    user { email }
    institutionId
    challenge { token step }
    userErrors { field message code }
  }
}";

pub const COMPLETE_SIGN_IN: &str = "mutation CompleteSignIn($input: CompleteSignInInput!) {
  completeSignIn(input: $input) {
    tokens { accessToken refreshToken }
    institutionId
    recoveryCodes
    userErrors { field message code }
  }
}";

pub fn global_id(kind: &str, id: Uuid) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{id}"))
}

/// The `extensions.code` of the first top-level error.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or_else(|| panic!("no error code in {body}"))
}

/// The codes of a payload's user errors.
pub fn user_error_codes(payload: &Value) -> Vec<String> {
    payload["userErrors"]
        .as_array()
        .unwrap_or_else(|| panic!("no userErrors in {payload}"))
        .iter()
        .map(|e| e["code"].as_str().unwrap_or_default().to_owned())
        .collect()
}

pub async fn count_rows(app: &TestApp, table: &str) -> i64 {
    let row = app
        .db
        .conn()
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// The role PostgreSQL servers under test connect as; the server creates it when missing.
pub const RUNTIME_ROLE: &str = "springboard_test_runtime";

/// `url` (a PostgreSQL URL) with its user replaced by `role` and no password.
pub fn as_role(url: &str, role: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let host = rest.split_once('@').map_or(rest, |(_, host)| host);
    format!("{scheme}://{role}@{host}")
}

/// `admin_url` (a PostgreSQL URL) pointed at database `name`, its query string kept.
pub fn database_url(admin_url: &str, name: &str) -> String {
    let (base, query) = admin_url.split_once('?').map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

/// The sum of the server's /metrics samples whose line starts with `series` (a name, with or
/// without labels); `None` when there is none.
pub async fn metric(app: &TestApp, series: &str) -> Option<f64> {
    let text = app.metrics_text().await;
    let samples: Vec<f64> = text
        .lines()
        .filter(|line| line.starts_with(series))
        .filter_map(|line| line.rsplit(' ').next().and_then(|n| n.parse().ok()))
        .collect();
    (!samples.is_empty()).then(|| samples.iter().sum())
}
