use entity::institution::InstitutionKind;
use entity::membership::Role;
use serde_json::json;

use crate::db_test;
use crate::helpers::*;

const REFRESH: &str = "mutation Refresh($token: String!) {
  refreshToken(input: {refreshToken: $token}) {
    tokens { accessToken refreshToken }
    userErrors { field message code }
  }
}";

const SIGN_OUT: &str = "mutation SignOut($token: String!) {
  signOut(input: {refreshToken: $token}) { signedOut userErrors { code } }
}";

const VIEWER: &str =
    "{ viewer { user { email } role institution { id } memberships { role institution { id } } } }";

db_test! {
    async fn signing_in_returns_tokens_that_authenticate_as_the_user(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(institution, Role::Member).await;

        let payload = app.sign_in_payload(&person.email.to_uppercase(), PASSWORD, None).await;
        assert_eq!(user_error_codes(&payload), Vec::<String>::new());
        assert_eq!(payload["institutionId"], json!(global_id("Institution", institution)));
        let token = payload["tokens"]["accessToken"].as_str().unwrap();

        let body = app.graphql(VIEWER, json!({}), Some(token)).await;
        assert_eq!(body["data"]["viewer"]["user"]["email"], json!(person.email));
        assert_eq!(body["data"]["viewer"]["role"], json!("MEMBER"));
        assert_eq!(body["data"]["viewer"]["institution"]["id"], json!(global_id("Institution", institution)));
    }
}

db_test! {
    async fn unknown_email_and_wrong_password_get_the_same_answer(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(institution, Role::Member).await;

        let wrong_password = app.sign_in_payload(&person.email, "not the right password", None).await;
        let unknown_email = app.sign_in_payload("nobody@example.org", "not the right password", None).await;

        assert_eq!(wrong_password, unknown_email);
        assert_eq!(user_error_codes(&wrong_password), vec!["INVALID_CREDENTIALS"]);
        assert!(wrong_password["tokens"].is_null());
    }
}

db_test! {
    async fn repeated_failures_lock_the_account_even_with_the_right_password(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(institution, Role::Member).await;

        for _ in 0..4 {
            let payload = app.sign_in_payload(&person.email, "wrong password!!", None).await;
            assert_eq!(user_error_codes(&payload), vec!["INVALID_CREDENTIALS"]);
        }
        let fifth = app.sign_in_payload(&person.email, "wrong password!!", None).await;
        assert_eq!(user_error_codes(&fifth), vec!["ACCOUNT_LOCKED"]);

        let correct = app.sign_in_payload(&person.email, PASSWORD, None).await;
        assert_eq!(user_error_codes(&correct), vec!["ACCOUNT_LOCKED"]);
        assert!(correct["userErrors"][0]["message"].as_str().unwrap().contains("try again after"));
        assert!(correct["tokens"].is_null());
    }
}

db_test! {
    async fn unknown_emails_lock_out_exactly_like_real_ones(app) {
        for _ in 0..5 {
            app.sign_in_payload("ghost@example.org", "wrong password!!", None).await;
        }
        let payload = app.sign_in_payload("ghost@example.org", "wrong password!!", None).await;
        assert_eq!(user_error_codes(&payload), vec!["ACCOUNT_LOCKED"]);
    }
}

db_test! {
    async fn a_refresh_token_rotates_and_its_reuse_revokes_the_family(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(institution, Role::Admin).await;
        let payload = app.sign_in_payload(&person.email, PASSWORD, None).await;
        let first = payload["tokens"]["refreshToken"].as_str().unwrap().to_owned();

        let rotated = app.graphql(REFRESH, json!({ "token": first }), None).await;
        let second = rotated["data"]["refreshToken"]["tokens"]["refreshToken"].as_str().unwrap().to_owned();
        assert_ne!(first, second);
        let access = rotated["data"]["refreshToken"]["tokens"]["accessToken"].as_str().unwrap();
        let body = app.graphql(VIEWER, json!({}), Some(access)).await;
        assert_eq!(body["data"]["viewer"]["user"]["email"], json!(person.email));

        // The first token was spent: presenting it again after the grace window (in which a
        // second browser tab would get the same successor) is theft or a bug; both end the family.
        app.clock.advance(chrono::Duration::seconds(app.settings.refresh_grace_secs + 1));
        let reused = app.graphql(REFRESH, json!({ "token": first }), None).await;
        assert_eq!(user_error_codes(&reused["data"]["refreshToken"]), vec!["INVALID_TOKEN"]);
        let after_reuse = app.graphql(REFRESH, json!({ "token": second }), None).await;
        assert_eq!(user_error_codes(&after_reuse["data"]["refreshToken"]), vec!["INVALID_TOKEN"]);
    }
}

db_test! {
    async fn signing_out_ends_the_refresh_family(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(institution, Role::Viewer).await;
        let payload = app.sign_in_payload(&person.email, PASSWORD, None).await;
        let refresh = payload["tokens"]["refreshToken"].as_str().unwrap().to_owned();

        let out = app.graphql(SIGN_OUT, json!({ "token": refresh }), None).await;
        assert_eq!(out["data"]["signOut"]["signedOut"], json!(true));

        let after = app.graphql(REFRESH, json!({ "token": refresh }), None).await;
        assert_eq!(user_error_codes(&after["data"]["refreshToken"]), vec!["INVALID_TOKEN"]);
    }
}

db_test! {
    async fn garbage_refresh_tokens_are_refused(app) {
        for token in ["", "sbr_", "sbr_00000000000000000000000000000000_x", "eyJhbGciOi.x.y", &"x".repeat(5000)] {
            let body = app.graphql(REFRESH, json!({ "token": token }), None).await;
            assert_eq!(user_error_codes(&body["data"]["refreshToken"]), vec!["INVALID_TOKEN"], "{token}");
        }
    }
}

db_test! {
    async fn a_member_of_two_institutions_picks_one_per_token(app) {
        let college = app.institution(InstitutionKind::RoyalCollege).await;
        let hospital = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(college, Role::Viewer).await;
        app.join(&person, hospital, Role::Admin).await;

        let as_college = app.sign_in(&person, Some(college)).await;
        let body = app.graphql(VIEWER, json!({}), Some(&as_college)).await;
        assert_eq!(body["data"]["viewer"]["role"], json!("VIEWER"));
        assert_eq!(body["data"]["viewer"]["memberships"].as_array().unwrap().len(), 2);

        let switch = "mutation($id: ID!) { switchInstitution(input: {institutionId: $id}) { tokens { accessToken } userErrors { code } } }";
        let switched = app.graphql(switch, json!({ "id": global_id("Institution", hospital) }), Some(&as_college)).await;
        let as_hospital = switched["data"]["switchInstitution"]["tokens"]["accessToken"].as_str().unwrap();
        let body = app.graphql(VIEWER, json!({}), Some(as_hospital)).await;
        assert_eq!(body["data"]["viewer"]["role"], json!("ADMIN"));
        assert_eq!(body["data"]["viewer"]["institution"]["id"], json!(global_id("Institution", hospital)));

        let elsewhere = app.institution(InstitutionKind::Funder).await;
        let refused = app.graphql(switch, json!({ "id": global_id("Institution", elsewhere) }), Some(&as_college)).await;
        assert_eq!(user_error_codes(&refused["data"]["switchInstitution"]), vec!["NOT_FOUND"]);
        let payload = app.sign_in_payload(&person.email, PASSWORD, Some(elsewhere)).await;
        assert_eq!(user_error_codes(&payload), vec!["NOT_FOUND"]);
    }
}

db_test! {
    async fn a_removed_member_loses_access_at_once(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        app.member(institution, Role::Admin).await;
        let person = app.person().await;
        let membership = app.join(&person, institution, Role::Member).await;
        let token = app.sign_in(&person, Some(institution)).await;

        springboard::members::service::remove(
            &app.db,
            &springboard::identity::revocation::Revocations::new(chrono::Duration::minutes(15), None),
            &springboard::actor::Actor {
                principal: springboard::actor::Principal::User { user_id: person.id, is_platform_admin: false, session_id: None },
                institution: Some(springboard::actor::ActiveInstitution { id: institution, role: Role::Member }),
            },
            membership,
        )
        .await
        .unwrap();

        let (status, body) = app.graphql_status(VIEWER, json!({}), Some(&token)).await;
        assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED);
        assert_eq!(error_code(&body), "UNAUTHENTICATED");
    }
}
