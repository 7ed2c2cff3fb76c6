//! API tokens: created by admins, shown once, scoped, revocable.

use entity::institution::InstitutionKind;
use entity::membership::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::db_test;
use crate::helpers::*;

const CREATE: &str = "mutation($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { secret apiToken { id name scope prefix } userErrors { field code message } }
}";
const REVOKE: &str = "mutation($id: ID!) { revokeApiToken(input: {apiTokenId: $id}) { apiToken { revokedAt } userErrors { code } } }";
const VIEWER: &str = "{ viewer { role tokenScope user { email } institution { name } } }";
const INVITE: &str = "mutation { inviteMember(input: {email: \"new@example.org\", role: MEMBER}) { invitationToken userErrors { code } } }";

async fn create(app: &TestApp, admin: &str, scope: &str) -> Value {
    let body =
        app.graphql(CREATE, json!({ "input": { "name": "EPR export", "scope": scope } }), Some(admin)).await;
    body["data"]["createApiToken"].clone()
}

db_test! {
    async fn an_admin_creates_a_token_that_authenticates_scripts(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let admin = app.token(institution, Role::Admin).await;

        let created = create(&app, &admin, "READ").await;
        let secret = created["secret"].as_str().unwrap();
        assert!(secret.starts_with(created["apiToken"]["prefix"].as_str().unwrap()));
        assert!(secret.starts_with("sbt_"));

        let body = app.graphql(VIEWER, json!({}), Some(secret)).await;
        assert_eq!(body["data"]["viewer"]["tokenScope"], json!("READ"));
        assert_eq!(body["data"]["viewer"]["role"], json!("VIEWER"));
        assert!(body["data"]["viewer"]["user"].is_null());
        assert!(body["data"]["viewer"]["institution"]["name"].is_string());

        let listed = app.graphql("{ viewer { institution { apiTokens { totalCount edges { node { name lastUsedAt } } } } } }", json!({}), Some(&admin)).await;
        let tokens = &listed["data"]["viewer"]["institution"]["apiTokens"];
        assert_eq!(tokens["totalCount"], json!(1));
        assert!(tokens["edges"][0]["node"]["lastUsedAt"].is_string(), "last use recorded: {tokens}");
    }
}

db_test! {
    async fn a_read_token_cannot_mutate_anything(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let admin = app.token(institution, Role::Admin).await;
        let read = create(&app, &admin, "READ").await["secret"].as_str().unwrap().to_owned();

        for mutation in [INVITE, "mutation { signOut(input: {refreshToken: \"x\"}) { signedOut } }"] {
            let (status, body) = app.graphql_status(mutation, json!({}), Some(&read)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
            assert_eq!(error_code(&body), "FORBIDDEN");
            assert!(body.get("data").is_none());
        }
        assert_eq!(count_rows(&app, "invitations").await, 0);
    }
}

db_test! {
    async fn a_read_write_token_writes_but_never_administers(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let admin = app.token(institution, Role::Admin).await;
        let write = create(&app, &admin, "READ_WRITE").await["secret"].as_str().unwrap().to_owned();

        // Gets past the scope gate: the mutation runs and answers for itself.
        let body = app.graphql("mutation { signOut(input: {refreshToken: \"x\"}) { userErrors { code } } }", json!({}), Some(&write)).await;
        assert_eq!(user_error_codes(&body["data"]["signOut"]), vec!["INVALID_TOKEN"]);

        let body = app.graphql(INVITE, json!({}), Some(&write)).await;
        assert_eq!(error_code(&body), "FORBIDDEN");
        let body = app.graphql(CREATE, json!({ "input": { "name": "x", "scope": "READ" } }), Some(&write)).await;
        assert_eq!(error_code(&body), "FORBIDDEN");
    }
}

db_test! {
    async fn a_revoked_token_stops_working_at_once(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let admin = app.token(institution, Role::Admin).await;
        let created = create(&app, &admin, "READ_WRITE").await;
        let secret = created["secret"].as_str().unwrap();
        app.graphql(VIEWER, json!({}), Some(secret)).await;

        let revoked = app.graphql(REVOKE, json!({ "id": created["apiToken"]["id"] }), Some(&admin)).await;
        assert!(revoked["data"]["revokeApiToken"]["apiToken"]["revokedAt"].is_string());

        let (status, body) = app.graphql_status(VIEWER, json!({}), Some(secret)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(error_code(&body), "UNAUTHENTICATED");
    }
}

db_test! {
    async fn expired_and_tampered_tokens_are_refused(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let admin = app.token(institution, Role::Admin).await;
        let in_an_hour = (app.clock.now() + chrono::Duration::hours(1)).to_rfc3339();
        let created = app.graphql(CREATE, json!({ "input": { "name": "short", "scope": "READ", "expiresAt": in_an_hour } }), Some(&admin)).await;
        let secret = created["data"]["createApiToken"]["secret"].as_str().unwrap().to_owned();
        let mut tampered = secret.clone();
        tampered.pop();
        tampered.push(if secret.ends_with('A') { 'B' } else { 'A' });

        let (status, _) = app.graphql_status(VIEWER, json!({}), Some(&tampered)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        let (status, _) = app.graphql_status(VIEWER, json!({}), Some(&secret)).await;
        assert_eq!(status, StatusCode::OK, "the token works until it expires");
        app.clock.advance(chrono::Duration::minutes(61));
        let (status, _) = app.graphql_status(VIEWER, json!({}), Some(&secret)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

db_test! {
    async fn only_admins_manage_tokens_and_input_is_checked(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let admin = app.token(institution, Role::Admin).await;
        let member = app.token(institution, Role::Member).await;

        let body = app.graphql(CREATE, json!({ "input": { "name": "x", "scope": "READ" } }), Some(&member)).await;
        assert_eq!(error_code(&body), "FORBIDDEN");
        let body = app.graphql("{ viewer { institution { apiTokens { totalCount } } } }", json!({}), Some(&member)).await;
        assert_eq!(error_code(&body), "FORBIDDEN");

        let past = (app.clock.now() - chrono::Duration::days(1)).to_rfc3339();
        let cases = [
            (json!({ "name": "  ", "scope": "READ" }), "REQUIRED"),
            (json!({ "name": "x".repeat(201), "scope": "READ" }), "INVALID"),
            (json!({ "name": "ok", "scope": "READ", "expiresAt": past }), "INVALID"),
        ];
        for (input, code) in cases {
            let body = app.graphql(CREATE, json!({ "input": input }), Some(&admin)).await;
            assert_eq!(user_error_codes(&body["data"]["createApiToken"]), vec![code], "{input}");
            assert!(body["data"]["createApiToken"]["secret"].is_null());
        }
        let body = app.graphql(CREATE, json!({ "input": { "name": "x", "scope": "ADMIN" } }), Some(&admin)).await;
        assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED");
        assert_eq!(count_rows(&app, "api_tokens").await, 0);
    }
}
