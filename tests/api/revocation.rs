//! Ending a session reaches its access tokens at once, on every replica: signing out, a reused
//! refresh token, a removed membership and "sign me out everywhere" (for password changes).
//! A refused token gets exactly the 401 an expired one gets.

use std::sync::Arc;

use chrono::Duration;
use entity::institution::InstitutionKind;
use entity::membership::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use springboard::identity::jwt::JwtKeys;
use springboard::identity::revocation::Revocations;
use springboard::settings::{Secret, Settings};
use springboard::shared_state::SharedRedis;

use crate::db_test_with;
use crate::helpers::*;

const VIEWER: &str = "{ viewer { user { email } } }";
const REFRESH: &str = "mutation($token: String!) {
  refreshToken(input: {refreshToken: $token}) { tokens { accessToken refreshToken } userErrors { code } }
}";
const SIGN_OUT: &str =
    "mutation($token: String!) { signOut(input: {refreshToken: $token}) { signedOut userErrors { code } } }";
const REMOVE: &str = "mutation($id: ID!) { removeMember(input: {membershipId: $id}) { removedMembershipId userErrors { code } } }";

/// The 401 for a token that expired an hour ago: what every refused token must look like.
async fn expired_answer(
    app: &TestApp,
    person: &Person,
    institution: uuid::Uuid,
) -> (StatusCode, String, Value) {
    let keys = JwtKeys::parse(&Secret::new(JWT_KEYS), "springboard", "springboard-api").unwrap();
    let issued = app.clock.now() - Duration::hours(1);
    let (expired, _) = keys.sign(person.id, Some(institution), uuid::Uuid::now_v7(), issued, 900).unwrap();
    answer(app, &expired).await
}

async fn answer(app: &TestApp, token: &str) -> (StatusCode, String, Value) {
    let (status, headers, body) = app.graphql_full(VIEWER, json!({}), Some(token)).await;
    let challenge =
        headers.get("www-authenticate").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, challenge, body)
}

async fn assert_accepted(replicas: &[&TestApp], token: &str) {
    for app in replicas {
        let (status, _, body) = answer(app, token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

/// Refused on every replica, exactly as an expired token is.
async fn assert_refused_like_expired(
    replicas: &[&TestApp],
    token: &str,
    expired: &(StatusCode, String, Value),
) {
    assert_eq!(expired.0, StatusCode::UNAUTHORIZED);
    for app in replicas {
        assert_eq!(&answer(app, token).await, expired, "{}", app.address);
    }
}

async fn session(app: &TestApp, person: &Person, institution: uuid::Uuid) -> (String, String) {
    let payload = app.sign_in_payload(&person.email, PASSWORD, Some(institution)).await;
    let tokens = &payload["tokens"];
    (tokens["accessToken"].as_str().unwrap().to_owned(), tokens["refreshToken"].as_str().unwrap().to_owned())
}

db_test_with! {
    async fn a_signed_out_sessions_access_tokens_are_refused_on_every_replica(app) with with_redis;
    {
        let other = app.replica().await;
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(institution, Role::Member).await;
        let (access, refresh) = session(&app, &person, institution).await;
        let (kept, _) = session(&app, &person, institution).await;
        assert_accepted(&[&app, &other], &access).await;

        let out = other.graphql(SIGN_OUT, json!({ "token": refresh }), None).await;
        assert_eq!(out["data"]["signOut"]["signedOut"], json!(true), "{out}");

        let expired = expired_answer(&app, &person, institution).await;
        assert_refused_like_expired(&[&app, &other], &access, &expired).await;
        assert_accepted(&[&app, &other], &kept).await;
    }
}

db_test_with! {
    async fn a_reused_refresh_token_refuses_every_access_token_of_its_family_on_every_replica(app) with with_redis;
    {
        let other = app.replica().await;
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(institution, Role::Member).await;
        let (first_access, first_refresh) = session(&app, &person, institution).await;
        let rotated = app.graphql(REFRESH, json!({ "token": first_refresh }), None).await;
        let second_access = rotated["data"]["refreshToken"]["tokens"]["accessToken"].as_str().unwrap().to_owned();
        assert_accepted(&[&app, &other], &second_access).await;

        // Past the grace window, the spent token again is a copy: the family ends.
        app.clock.advance(Duration::seconds(app.settings.refresh_grace_secs + 1));
        let reused = other.graphql(REFRESH, json!({ "token": first_refresh }), None).await;
        assert_eq!(user_error_codes(&reused["data"]["refreshToken"]), vec!["INVALID_TOKEN"]);

        let expired = expired_answer(&app, &person, institution).await;
        for access in [&first_access, &second_access] {
            assert_refused_like_expired(&[&app, &other], access, &expired).await;
        }
    }
}

db_test_with! {
    async fn a_removed_members_access_tokens_stay_refused_on_every_replica_even_if_they_rejoin(app) with with_redis;
    {
        let other = app.replica().await;
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let admin = app.token(institution, Role::Admin).await;
        let person = app.person().await;
        let membership = app.join(&person, institution, Role::Member).await;
        let (access, refresh) = session(&app, &person, institution).await;
        assert_accepted(&[&app, &other], &access).await;

        let removed = other.graphql(REMOVE, json!({ "id": global_id("Membership", membership) }), Some(&admin)).await;
        assert!(removed["data"]["removeMember"]["removedMembershipId"].is_string(), "{removed}");
        let expired = expired_answer(&app, &person, institution).await;
        assert_refused_like_expired(&[&app, &other], &access, &expired).await;

        // Back in the institution, the old session stays ended: only a new sign-in gets in.
        app.join(&person, institution, Role::Member).await;
        assert_refused_like_expired(&[&app, &other], &access, &expired).await;
        let again = app.graphql(REFRESH, json!({ "token": refresh }), None).await;
        assert_eq!(user_error_codes(&again["data"]["refreshToken"]), vec!["INVALID_TOKEN"]);
        let (fresh, _) = session(&other, &person, institution).await;
        assert_accepted(&[&app, &other], &fresh).await;
    }
}

/// The deny-list as the servers of `settings` share it.
fn shared_revocations(settings: &Settings) -> Revocations {
    let failures = prometheus::IntCounterVec::new(prometheus::Opts::new("f", "f"), &["purpose"]).unwrap();
    let redis =
        SharedRedis::connect(settings.redis_url.as_ref().unwrap(), &settings.redis_key_prefix, failures)
            .unwrap();
    Revocations::new(Duration::seconds(settings.access_token_ttl_secs + 30), Some(Arc::new(redis)))
}

db_test_with! {
    async fn ending_every_session_of_a_user_refuses_all_their_tokens_everywhere(app) with with_redis;
    {
        let other = app.replica().await;
        let college = app.institution(InstitutionKind::RoyalCollege).await;
        let hospital = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(college, Role::Member).await;
        app.join(&person, hospital, Role::Viewer).await;
        let bystander = app.member(college, Role::Member).await;
        let (laptop, laptop_refresh) = session(&app, &person, college).await;
        let (phone, _) = session(&other, &person, hospital).await;
        let (theirs, _) = session(&app, &bystander, college).await;

        let ended = springboard::identity::revoke::end_every_session(&app.db, &shared_revocations(&app.settings), person.id)
            .await
            .unwrap();
        assert_eq!(ended, 2);

        let expired = expired_answer(&app, &person, college).await;
        assert_refused_like_expired(&[&app, &other], &laptop, &expired).await;
        assert_refused_like_expired(&[&app, &other], &phone, &expired).await;
        let refreshed = other.graphql(REFRESH, json!({ "token": laptop_refresh }), None).await;
        assert_eq!(user_error_codes(&refreshed["data"]["refreshToken"]), vec!["INVALID_TOKEN"]);
        assert_accepted(&[&app, &other], &theirs).await;
    }
}

db_test_with! {
    async fn with_redis_unreachable_a_signed_out_token_is_still_refused_by_the_other_replica(app) with |s| {
        s.redis_url = Some(Secret::new("redis://127.0.0.1:1"));
    };
    {
        let other = app.replica().await;
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(institution, Role::Member).await;
        let (access, refresh) = session(&app, &person, institution).await;
        assert_accepted(&[&app, &other], &access).await;

        // Signed out through one replica; the other cannot hear of it through Redis, and asks
        // the database instead.
        other.graphql(SIGN_OUT, json!({ "token": refresh }), None).await;
        let expired = expired_answer(&app, &person, institution).await;
        assert_refused_like_expired(&[&app, &other], &access, &expired).await;
        assert!(metric(&app, "springboard_redis_fallbacks_total").await.unwrap() >= 1.0);
    }
}
