//! Changing and resetting passwords: the rules a new one must pass, the sessions that end, the
//! reset link by email (single use, expiring, the same answer for unknown emails, limited),
//! and email that still goes out when the mail server comes up late.

use std::time::Duration;

use entity::institution::InstitutionKind;
use entity::membership::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use springboard::settings::{Secret, Settings};

use crate::helpers::*;
use crate::mail_test;
use crate::smtp_sink::{SmtpSink, token_in};
use crate::{db_test, db_test_with};

const CHANGE: &str = "mutation($current: String!, $new: String!) {
  changePassword(input: {currentPassword: $current, newPassword: $new}) { changed sessionsEnded userErrors { field code message } }
}";
const REQUEST_RESET: &str = "mutation($email: String!) {
  requestPasswordReset(input: {email: $email}) { accepted userErrors { field code message } }
}";
const RESET: &str = "mutation($token: String!, $new: String!) {
  resetPassword(input: {token: $token, newPassword: $new}) { reset userErrors { field code message } }
}";
const REFRESH: &str = "mutation($token: String!) {
  refreshToken(input: {refreshToken: $token}) { tokens { accessToken } userErrors { code } }
}";
const VIEWER: &str = "{ viewer { user { email } } }";
const NEW_PASSWORD: &str = "a completely different passphrase";
const MAIL_WAIT: Duration = Duration::from_secs(10);

async fn session(app: &TestApp, person: &Person, institution: uuid::Uuid) -> (String, String) {
    let payload = app.sign_in_payload(&person.email, PASSWORD, Some(institution)).await;
    let tokens = &payload["tokens"];
    (tokens["accessToken"].as_str().unwrap().to_owned(), tokens["refreshToken"].as_str().unwrap().to_owned())
}

async fn viewer_status(app: &TestApp, access: &str) -> StatusCode {
    app.graphql_status(VIEWER, json!({}), Some(access)).await.0
}

async fn refresh_codes(app: &TestApp, refresh: &str) -> Vec<String> {
    let body = app.graphql(REFRESH, json!({ "token": refresh }), None).await;
    user_error_codes(&body["data"]["refreshToken"])
}

async fn signs_in_with(app: &TestApp, email: &str, password: &str) -> bool {
    app.sign_in_payload(email, password, None).await["tokens"]["accessToken"].is_string()
}

/// `springboard_emails_total{outcome}` once it reaches `at_least`, or what it is after 5 s.
async fn eventually_counted(app: &TestApp, outcome: &str, at_least: f64) -> f64 {
    let series = format!("springboard_emails_total{{outcome=\"{outcome}\"}}");
    for _ in 0..50 {
        let count = metric(app, &series).await.unwrap_or_default();
        if count >= at_least {
            return count;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    metric(app, &series).await.unwrap_or_default()
}

db_test! {
    async fn a_password_change_ends_every_other_session_and_keeps_this_one(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(institution, Role::Member).await;
        let (access, refresh) = session(&app, &person, institution).await;
        let (other_access, other_refresh) = session(&app, &person, institution).await;

        let body = app.graphql(CHANGE, json!({ "current": PASSWORD, "new": NEW_PASSWORD }), Some(&access)).await;
        let payload = &body["data"]["changePassword"];
        assert_eq!(payload["changed"], json!(true), "{body}");
        assert_eq!(payload["sessionsEnded"], json!(1), "{body}");

        assert_eq!(viewer_status(&app, &other_access).await, StatusCode::UNAUTHORIZED);
        assert_eq!(refresh_codes(&app, &other_refresh).await, vec!["INVALID_TOKEN"]);
        assert_eq!(viewer_status(&app, &access).await, StatusCode::OK);
        assert!(refresh_codes(&app, &refresh).await.is_empty(), "this session can still refresh");
        assert!(!signs_in_with(&app, &person.email, PASSWORD).await);
        assert!(signs_in_with(&app, &person.email, NEW_PASSWORD).await);
    }
}

db_test! {
    async fn a_password_change_checks_the_current_password_and_the_rules(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(institution, Role::Member).await;
        let access = app.sign_in(&person, Some(institution)).await;
        let too_long = "x".repeat(257);
        let checks_before = metric(&app, "springboard_sign_in_password_checks_total").await;
        let body = app.graphql(CHANGE, json!({ "current": too_long, "new": NEW_PASSWORD }), Some(&access)).await;
        assert_eq!(user_error_codes(&body["data"]["changePassword"]), vec!["INVALID"], "{body}");
        assert_eq!(
            metric(&app, "springboard_sign_in_password_checks_total").await,
            checks_before,
            "an over-long current password is refused without hashing it"
        );
        let cases = [
            ("not my password at all", NEW_PASSWORD, "INVALID_CREDENTIALS", "currentPassword"),
            (PASSWORD, "fourteen chars", "INVALID", "newPassword"),
            (PASSWORD, "Password1234567", "WEAK_PASSWORD", "newPassword"),
            (PASSWORD, "aaaaaaaaaaaaaaaaaaaa", "WEAK_PASSWORD", "newPassword"),
            (PASSWORD, &person.email, "WEAK_PASSWORD", "newPassword"),
        ];
        for (current, new, code, field) in cases {
            let body = app.graphql(CHANGE, json!({ "current": current, "new": new }), Some(&access)).await;
            let payload = &body["data"]["changePassword"];
            assert_eq!(payload["changed"], json!(false), "{new}: {body}");
            assert_eq!(user_error_codes(payload), vec![code], "{new}: {body}");
            assert_eq!(payload["userErrors"][0]["field"], json!(["input", field]), "{body}");
        }
        assert!(signs_in_with(&app, &person.email, PASSWORD).await, "nothing changed");
    }
}

db_test! {
    async fn an_api_token_cannot_change_a_password(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let admin = app.token(institution, Role::Admin).await;
        let created = app
            .graphql(
                "mutation { createApiToken(input: {name: \"etl\", scope: READ_WRITE}) { secret } }",
                json!({}),
                Some(&admin),
            )
            .await;
        let secret = created["data"]["createApiToken"]["secret"].as_str().unwrap().to_owned();
        let body = app.graphql(CHANGE, json!({ "current": PASSWORD, "new": NEW_PASSWORD }), Some(&secret)).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    }
}

mail_test! {
    async fn a_reset_link_arrives_by_email_ends_every_session_and_works_once(app, sink) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(institution, Role::Member).await;
        let (access, _) = session(&app, &person, institution).await;

        let body = app.graphql(REQUEST_RESET, json!({ "email": person.email.to_uppercase() }), None).await;
        assert_eq!(body["data"]["requestPasswordReset"]["accepted"], json!(true), "{body}");
        let message = sink.next(MAIL_WAIT).await.expect("the reset email");
        assert!(message.contains(&format!("To: {}", person.email)), "{message}");
        assert!(message.contains("https://front.example.org/qi/reset-password?token=sbp_"), "{message}");
        let token = token_in(&message, "reset-password");

        let body = app.graphql(RESET, json!({ "token": token, "new": NEW_PASSWORD }), None).await;
        assert_eq!(body["data"]["resetPassword"]["reset"], json!(true), "{body}");
        assert_eq!(viewer_status(&app, &access).await, StatusCode::UNAUTHORIZED);
        assert!(signs_in_with(&app, &person.email, NEW_PASSWORD).await);
        let notice = sink.next(MAIL_WAIT).await.expect("the security notice");
        assert!(notice.contains("Subject: Your Springboard password was changed"), "{notice}");
        // Counted once the server has the mail server's answer, a moment after the message arrived.
        assert_eq!(eventually_counted(&app, "sent", 2.0).await, 2.0);

        let again = app.graphql(RESET, json!({ "token": token, "new": "yet another long passphrase" }), None).await;
        assert_eq!(user_error_codes(&again["data"]["resetPassword"]), vec!["INVALID_TOKEN"], "{again}");
        assert!(signs_in_with(&app, &person.email, NEW_PASSWORD).await, "the second use changed nothing");
    }
}

mail_test! {
    async fn known_and_unknown_emails_get_the_same_answer_and_the_same_limit(app, sink) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(institution, Role::Member).await;
        let unknown = "nobody-here@example.org";
        for attempt in 1..=3 {
            let known = app.graphql(REQUEST_RESET, json!({ "email": person.email }), None).await;
            let stranger = app.graphql(REQUEST_RESET, json!({ "email": unknown }), None).await;
            assert_eq!(without_cost(known.clone()), without_cost(stranger), "attempt {attempt}");
            assert_eq!(known["data"]["requestPasswordReset"]["accepted"], json!(true), "{known}");
        }
        let known = app.graphql(REQUEST_RESET, json!({ "email": person.email }), None).await;
        let stranger = app.graphql(REQUEST_RESET, json!({ "email": unknown }), None).await;
        assert_eq!(user_error_codes(&known["data"]["requestPasswordReset"]), vec!["TOO_MANY_ATTEMPTS"], "{known}");
        let strip_time = |body: &Value| body["data"]["requestPasswordReset"]["userErrors"][0]["code"].clone();
        assert_eq!(strip_time(&known), strip_time(&stranger));
        for _ in 1..=3 {
            let message = sink.next(MAIL_WAIT).await.expect("a reset email for the known account");
            assert!(message.contains(&format!("To: {}", person.email)), "{message}");
        }
        assert!(sink.next(Duration::from_secs(1)).await.is_none(), "nothing for the unknown email or over the limit");
    }
}

db_test_with! {
    async fn resets_are_limited_per_client_address(app) with |s: &mut Settings| s.recovery.password_resets_per_client = 2;
    {
        for n in 0..2 {
            let body = app.graphql(REQUEST_RESET, json!({ "email": format!("someone-{n}@example.org") }), None).await;
            assert_eq!(body["data"]["requestPasswordReset"]["accepted"], json!(true), "{body}");
        }
        let body = app.graphql(REQUEST_RESET, json!({ "email": "someone-else@example.org" }), None).await;
        let payload = &body["data"]["requestPasswordReset"];
        assert_eq!(user_error_codes(payload), vec!["TOO_MANY_ATTEMPTS"], "{body}");
        assert!(payload["userErrors"][0]["message"].as_str().unwrap().contains("try again after"), "{body}");
    }
}

mail_test! {
    async fn a_reset_link_expires_after_its_lifetime(app, sink) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(institution, Role::Member).await;
        app.graphql(REQUEST_RESET, json!({ "email": person.email }), None).await;
        let token = token_in(&sink.next(MAIL_WAIT).await.expect("the reset email"), "reset-password");

        app.clock.advance(chrono::Duration::minutes(31));
        let body = app.graphql(RESET, json!({ "token": token, "new": NEW_PASSWORD }), None).await;
        assert_eq!(user_error_codes(&body["data"]["resetPassword"]), vec!["INVALID_TOKEN"], "{body}");
        assert!(signs_in_with(&app, &person.email, PASSWORD).await);
        for forged in ["", "sbp_garbage", "sbr_00000000000000000000000000000000_x"] {
            let body = app.graphql(RESET, json!({ "token": forged, "new": NEW_PASSWORD }), None).await;
            assert_eq!(user_error_codes(&body["data"]["resetPassword"]), vec!["INVALID_TOKEN"], "{forged}: {body}");
        }
    }
}

mail_test! {
    async fn a_reset_refuses_a_weak_password_and_keeps_the_link_usable(app, sink) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(institution, Role::Member).await;
        app.graphql(REQUEST_RESET, json!({ "email": person.email }), None).await;
        let token = token_in(&sink.next(MAIL_WAIT).await.expect("the reset email"), "reset-password");
        let weak = app.graphql(RESET, json!({ "token": token, "new": "iloveyou12345678" }), None).await;
        assert_eq!(user_error_codes(&weak["data"]["resetPassword"]), vec!["WEAK_PASSWORD"], "{weak}");
        let body = app.graphql(RESET, json!({ "token": token, "new": NEW_PASSWORD }), None).await;
        assert_eq!(body["data"]["resetPassword"]["reset"], json!(true), "{body}");
    }
}

mail_test! {
    async fn an_invitation_arrives_by_email_with_a_working_link(app, sink) {
        let institution = app.institution(InstitutionKind::RoyalCollege).await;
        let admin = app.token(institution, Role::Admin).await;
        let invited = app
            .graphql(
                "mutation { inviteMember(input: {email: \"newcomer@example.org\", role: MEMBER}) { invitationToken userErrors { code } } }",
                json!({}),
                Some(&admin),
            )
            .await;
        let returned = invited["data"]["inviteMember"]["invitationToken"].as_str().unwrap().to_owned();
        let message = sink.next(MAIL_WAIT).await.expect("the invitation email");
        assert!(message.contains("To: newcomer@example.org"), "{message}");
        let token = token_in(&message, "accept-invitation");
        assert_eq!(token, returned, "the emailed link carries the token the caller got");

        let accept = "mutation($token: String!) { acceptInvitation(input: {token: $token, name: \"New Comer\", password: \"a brand new passphrase\"}) { membership { role } userErrors { code } } }";
        let body = app.graphql(accept, json!({ "token": token }), None).await;
        assert_eq!(body["data"]["acceptInvitation"]["membership"]["role"], json!("MEMBER"), "{body}");
    }
}

/// The mail server is down when the reset is asked for: the request succeeds at once, and the
/// message is delivered once the server is up.
async fn mail_is_retried_until_the_server_comes_up(backend: Backend) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let Some(app) = spawn_app_with(backend, move |s: &mut Settings| {
        s.mail.smtp_url = Some(Secret::new(format!("smtp://127.0.0.1:{port}")));
        s.mail.smtp_retry_ms = 200;
    })
    .await
    else {
        eprintln!("TEST_DATABASE_URL is not set: PostgreSQL variant not run");
        return;
    };
    let institution = app.institution(InstitutionKind::HostInstitution).await;
    let person = app.member(institution, Role::Member).await;
    let started = std::time::Instant::now();
    let body = app.graphql(REQUEST_RESET, json!({ "email": person.email }), None).await;
    assert_eq!(body["data"]["requestPasswordReset"]["accepted"], json!(true), "{body}");
    assert!(started.elapsed() < Duration::from_secs(2), "the request did not wait for the mail server");

    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut sink = SmtpSink::start_on(port).await;
    let message = sink.next(Duration::from_secs(15)).await.expect("the reset email, delivered late");
    assert!(message.contains("reset-password?token=sbp_"), "{message}");
    let retried = eventually_counted(&app, "retried", 1.0).await;
    assert!(retried >= 1.0, "{retried} retries counted");
    assert_eq!(eventually_counted(&app, "sent", 1.0).await, 1.0);
}

#[tokio::test]
async fn mail_is_retried_until_the_server_comes_up_sqlite() {
    mail_is_retried_until_the_server_comes_up(Backend::Sqlite).await;
}

#[tokio::test]
async fn mail_is_retried_until_the_server_comes_up_postgres() {
    mail_is_retried_until_the_server_comes_up(Backend::Postgres).await;
}
