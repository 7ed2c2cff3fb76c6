//! Authentication and input holes found by probing the API from outside: concurrent guesses
//! against the lockout, odd Authorization headers, forged token times, oversized passwords,
//! hostile cursors and dates, and fields that cost more than the complexity count said.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entity::institution::InstitutionKind;
use entity::membership::Role;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;
use crate::results_fixtures::active_project;
use crate::{db_test, db_test_with};

/// Passwords the server has verified, from its own /metrics.
async fn password_checks(app: &TestApp) -> u64 {
    metric(app, "springboard_sign_in_password_checks_total ").await.expect("a password check counter") as u64
}

db_test_with! {
    async fn thirty_concurrent_guesses_verify_at_most_the_threshold_and_lock_the_account(app) with |s| {
        s.lockout_threshold = 5;
        s.lockout_secs = 900;
    };
    {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(institution, Role::Member).await;
        let before = password_checks(&app).await;

        let mut guesses = tokio::task::JoinSet::new();
        for i in 0..30 {
            let (client, url, email) = (app.client.clone(), app.url("/graphql"), person.email.clone());
            guesses.spawn(async move {
                let variables = json!({ "input": { "email": email, "password": format!("wrong guess number {i}") } });
                let response = client.post(url).json(&json!({ "query": SIGN_IN, "variables": variables })).send().await.unwrap();
                let body: Value = response.json().await.unwrap();
                user_error_codes(&body["data"]["signIn"])
            });
        }
        let mut refused = Vec::new();
        while let Some(codes) = guesses.join_next().await {
            refused.extend(codes.unwrap());
        }

        let verified = password_checks(&app).await - before;
        assert!(verified <= 5, "{verified} passwords verified for a threshold of 5");
        assert!(refused.iter().all(|c| c == "INVALID_CREDENTIALS" || c == "ACCOUNT_LOCKED"), "{refused:?}");
        assert!(refused.iter().filter(|c| *c == "INVALID_CREDENTIALS").count() <= 4, "{refused:?}");
        let right = app.sign_in_payload(&person.email, PASSWORD, None).await;
        assert_eq!(user_error_codes(&right), vec!["ACCOUNT_LOCKED"], "{right}");
        assert!(right["tokens"].is_null());

        app.clock.advance(chrono::Duration::seconds(901));
        let later = app.sign_in_payload(&person.email, PASSWORD, None).await;
        assert_eq!(user_error_codes(&later), Vec::<String>::new(), "the lock expires: {later}");
    }
}

db_test! {
    async fn a_success_does_not_lift_a_lock_set_meanwhile(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(institution, Role::Member).await;
        for _ in 0..4 {
            app.sign_in_payload(&person.email, "wrong password!!", None).await;
        }
        // The right password and the fifth wrong one race. If the wrong one is counted before
        // the success forgets the count, it locks the email and the lock stands; only if the
        // success finished first (the count forgotten) is the wrong one a first failure again.
        let (right, wrong) = tokio::join!(
            app.sign_in_payload(&person.email, PASSWORD, None),
            app.sign_in_payload(&person.email, "wrong password!!", None),
        );
        assert!(user_error_codes(&right).len() <= 1, "{right}");
        let after = app.sign_in_payload(&person.email, PASSWORD, None).await;
        if user_error_codes(&wrong) == vec!["INVALID_CREDENTIALS"] {
            assert!(right["tokens"].is_object(), "a first failure again only after a success: {right}");
            assert!(after["tokens"].is_object(), "{after}");
        } else {
            assert_eq!(user_error_codes(&wrong), vec!["ACCOUNT_LOCKED"], "{wrong}");
            assert_eq!(user_error_codes(&after), vec!["ACCOUNT_LOCKED"], "the lock stands: {after}");
        }
    }
}

db_test! {
    async fn an_overlong_password_is_refused_without_being_checked(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(institution, Role::Member).await;
        let before = password_checks(&app).await;

        let payload = app.sign_in_payload(&person.email, &"p".repeat(257), None).await;

        assert_eq!(payload["userErrors"], json!([{ "field": ["input", "password"], "code": "INVALID", "message": "must be at most 256 characters" }]));
        assert_eq!(password_checks(&app).await, before);
        let at_limit = app.sign_in_payload(&person.email, &"p".repeat(256), None).await;
        assert_eq!(user_error_codes(&at_limit), vec!["INVALID_CREDENTIALS"]);
        assert_eq!(password_checks(&app).await, before + 1);
    }
}

async fn with_authorization(app: &TestApp, values: &[HeaderValue]) -> (StatusCode, Value) {
    let mut request = app.client.post(app.url("/graphql")).json(&json!({ "query": "{ __typename }" }));
    for value in values {
        request = request.header(AUTHORIZATION, value.clone());
    }
    let response = request.send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

db_test! {
    async fn odd_authorization_headers_are_refused_not_ignored(app) {
        let token = app.token(app.institution(InstitutionKind::HostInstitution).await, Role::Member).await;
        let bearer = HeaderValue::from_str(&format!("Bearer {token}")).unwrap();

        let (status, _) = with_authorization(&app, std::slice::from_ref(&bearer)).await;
        assert_eq!(status, StatusCode::OK);

        let non_ascii = HeaderValue::from_bytes("Bearer jéton".as_bytes()).unwrap();
        let (status, body) = with_authorization(&app, &[non_ascii]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(error_code(&body), "UNAUTHENTICATED");

        let other = HeaderValue::from_static("Bearer sbt_another_token");
        let (status, body) = with_authorization(&app, &[bearer, other]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("one Authorization header"), "{body}");
    }
}

/// A token signed with the test server's own key, with the times given (seconds from now).
fn forged(user: Uuid, institution: Uuid, issued: i64, expires: i64, not_before: Option<i64>) -> String {
    let now = chrono::Utc::now().timestamp();
    let (kid, secret) = JWT_KEYS.split_once(':').unwrap();
    let mut claims = json!({
        "iss": "springboard", "aud": "springboard-api", "sub": user, "jti": Uuid::now_v7(),
        "sid": Uuid::now_v7(), "iat": now + issued, "exp": now + expires, "inst": institution,
    });
    if let Some(nbf) = not_before {
        claims["nbf"] = json!(now + nbf);
    }
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()))
        .unwrap()
}

db_test! {
    async fn tokens_from_the_future_or_living_too_long_are_refused(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(institution, Role::Member).await;
        let ask = async |token: String| app.graphql_status("{ viewer { user { email } } }", json!({}), Some(&token)).await;

        let (status, body) = ask(forged(person.id, institution, 0, 600, None)).await;
        assert_eq!(status, StatusCode::OK, "a well-formed token is accepted: {body}");
        assert_eq!(body["data"]["viewer"]["user"]["email"], json!(person.email));

        let refused = [
            ("nbf an hour ahead", forged(person.id, institution, 0, 600, Some(3600))),
            ("iat an hour ahead", forged(person.id, institution, 3600, 4000, None)),
            ("a lifetime of a day, beyond the configured 15 minutes", forged(person.id, institution, 0, 86_400, None)),
        ];
        for (case, token) in refused {
            let (status, body) = ask(token).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{case}: {body}");
            assert_eq!(error_code(&body), "UNAUTHENTICATED", "{case}");
        }
    }
}

fn cursor(order: &str, text: &str) -> String {
    URL_SAFE_NO_PAD.encode(json!({ "o": order, "k": [{ "s": text }, { "u": Uuid::now_v7() }] }).to_string())
}

db_test! {
    async fn hostile_cursors_and_dates_are_bad_user_input(app) {
        let a = active_project(&app).await;
        let lead = &a.setup.bid.lead_token;
        let cases = [
            (
                "query($c: String!) { projects(orderBy: {field: TITLE}, first: 5, after: $c) { totalCount } }",
                json!({ "c": cursor("title", "Sepsis\u{0}") }),
            ),
            (
                "query($c: String!) { sharedResults(first: 5, after: $c) { totalCount } }",
                json!({ "c": cursor("published", "\u{0}") }),
            ),
            (
                "query($m: ID!) { node(id: $m) { ... on Measure { observations(from: \"-200000-01-01\") { totalCount } } } }",
                json!({ "m": a.measure }),
            ),
            (
                "query($m: ID!) { node(id: $m) { ... on Measure { observations(to: \"+200000-01-01\") { totalCount } } } }",
                json!({ "m": a.measure }),
            ),
        ];
        for (query, variables) in cases {
            let (status, body) = app.graphql_status(query, variables, Some(lead)).await;
            assert_eq!(status, StatusCode::OK, "{query}: {body}");
            assert_eq!(error_code(&body), "BAD_USER_INPUT", "{query}: {body}");
        }
    }
}

fn aliases(field: &str, n: usize) -> String {
    (0..n).map(|i| format!("a{i}: {field}")).collect::<Vec<_>>().join(" ")
}

db_test! {
    async fn a_hundred_aliases_of_a_field_that_scales_with_data_are_too_complex(app) {
        let a = active_project(&app).await;
        let lead = &a.setup.bid.lead_token;
        let on_measure = |selection: String| format!("query($id: ID!) {{ node(id: $id) {{ ... on Measure {{ {selection} }} }} }}");
        let on_project = |selection: String| format!("query($id: ID!) {{ project(id: $id) {{ {selection} }} }}");
        let cases = [
            (on_measure(aliases("observationsCsv", 1)), on_measure(aliases("observationsCsv", 100)), a.measure.clone()),
            (on_measure(aliases("analysis { verdict { verdict } }", 1)), on_measure(aliases("analysis { verdict { verdict } }", 100)), a.measure.clone()),
            (on_project(aliases("improvement { measures }", 1)), on_project(aliases("improvement { measures }", 100)), a.setup.bid.project.clone()),
        ];
        for (one, hundred, id) in cases {
            let single = app.graphql(&one, json!({ "id": id }), Some(lead)).await;
            assert!(single.get("errors").is_none(), "{one}: {single}");
            let (status, many) = app.graphql_status(&hundred, json!({ "id": id }), Some(lead)).await;
            assert_eq!(error_code(&many), "GRAPHQL_VALIDATION_FAILED", "{many}");
            assert!(many["errors"][0]["message"].as_str().unwrap().contains("too complex"), "{many}");
            assert!(status == StatusCode::OK || status == StatusCode::BAD_REQUEST, "{status}");
        }
    }
}
