//! Access tokens that must not authenticate.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use entity::institution::InstitutionKind;
use entity::membership::Role;
use reqwest::StatusCode;
use serde_json::json;
use springboard::identity::jwt::JwtKeys;
use springboard::settings::Secret;

use crate::db_test;
use crate::helpers::*;

const VIEWER: &str = "{ viewer { role } }";

async fn assert_refused(app: &TestApp, token: &str) {
    let (status, body) = app.graphql_status(VIEWER, json!({}), Some(token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{token}: {body}");
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    assert!(body.get("data").is_none(), "{body}");
}

fn keys(spec: &str, issuer: &str, audience: &str) -> JwtKeys {
    JwtKeys::parse(&Secret::new(spec), issuer, audience).unwrap()
}

db_test! {
    async fn a_valid_token_is_accepted_so_the_refusals_below_mean_something(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(institution, Role::Member).await;
        let (token, _) = keys(JWT_KEYS, "springboard", "springboard-api")
            .sign(person.id, Some(institution), uuid::Uuid::now_v7(), app.clock.now(), 60)
            .unwrap();
        let body = app.graphql(VIEWER, json!({}), Some(&token)).await;
        assert_eq!(body["data"]["viewer"]["role"], json!("MEMBER"));
    }
}

db_test! {
    async fn expired_forged_and_misaddressed_tokens_are_refused(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(institution, Role::Member).await;
        let sign = |keys: JwtKeys, at: chrono::DateTime<Utc>| keys.sign(person.id, Some(institution), uuid::Uuid::now_v7(), at, 60).unwrap().0;

        let expired = sign(keys(JWT_KEYS, "springboard", "springboard-api"), app.clock.now() - Duration::hours(2));
        let forged = sign(keys("test:another-secret-that-is-long-enough-000", "springboard", "springboard-api"), app.clock.now());
        let wrong_audience = sign(keys(JWT_KEYS, "springboard", "someone-else"), app.clock.now());
        let wrong_issuer = sign(keys(JWT_KEYS, "impostor", "springboard-api"), app.clock.now());
        let unknown_kid = sign(keys("other:0123456789abcdef0123456789abcdef0123", "springboard", "springboard-api"), app.clock.now());

        for token in [expired, forged, wrong_audience, wrong_issuer, unknown_kid] {
            assert_refused(&app, &token).await;
        }
    }
}

db_test! {
    async fn an_unsigned_alg_none_token_is_refused(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(institution, Role::Admin).await;
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT","kid":"test"}"#);
        let claims = URL_SAFE_NO_PAD.encode(
            json!({
                "iss": "springboard", "aud": "springboard-api", "sub": person.id,
                "exp": (app.clock.now() + Duration::hours(1)).timestamp(), "iat": app.clock.now().timestamp(),
                "jti": person.id, "inst": institution,
            })
            .to_string(),
        );
        assert_refused(&app, &format!("{header}.{claims}.")).await;
        assert_refused(&app, &format!("{header}.{claims}")).await;
    }
}

db_test! {
    async fn malformed_authorization_headers_are_refused(app) {
        for header in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "token abc", "Bearer not.a.jwt", "Bearer sbt_nothing"] {
            let response = app
                .client
                .post(app.url("/graphql"))
                .header("authorization", header)
                .json(&json!({ "query": VIEWER }))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{header}");
            assert!(response.headers().get("www-authenticate").is_some(), "{header}");
        }
    }
}

db_test! {
    async fn queries_without_credentials_are_unauthenticated(app) {
        let body = app.graphql(VIEWER, json!({}), None).await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED");
        assert!(body["data"].is_null());
    }
}
