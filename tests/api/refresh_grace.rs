//! Two browser tabs refreshing with the same refresh token at the same moment both stay signed
//! in and end up holding the same successor; a second use after the grace window is a copy,
//! and ends the session.

use chrono::Duration;
use entity::institution::InstitutionKind;
use entity::membership::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::{db_test, db_test_with};

const REFRESH: &str = "mutation($token: String!) {
  refreshToken(input: {refreshToken: $token}) { tokens { accessToken refreshToken } userErrors { code } }
}";
const VIEWER: &str = "{ viewer { user { email } } }";

async fn refresh(app: &TestApp, token: &str) -> Value {
    app.graphql(REFRESH, json!({ "token": token }), None).await["data"]["refreshToken"].clone()
}

fn tokens(payload: &Value) -> (String, String) {
    let tokens = &payload["tokens"];
    let get = |key: &str| tokens[key].as_str().unwrap_or_else(|| panic!("no {key} in {payload}")).to_owned();
    (get("accessToken"), get("refreshToken"))
}

async fn signed_in(app: &TestApp) -> (String, String) {
    let institution = app.institution(InstitutionKind::HostInstitution).await;
    let person = app.member(institution, Role::Member).await;
    tokens(&app.sign_in_payload(&person.email, PASSWORD, Some(institution)).await)
}

async fn status(app: &TestApp, access: &str) -> StatusCode {
    app.graphql_status(VIEWER, json!({}), Some(access)).await.0
}

db_test! {
    async fn two_concurrent_refreshes_of_one_token_both_succeed_with_the_same_successor(app) {
        // The two tabs' requests reach different replicas, as behind a load balancer.
        let other = app.replica().await;
        let (_, first) = signed_in(&app).await;

        let (one, two) = tokio::join!(refresh(&app, &first), refresh(&other, &first));
        assert_eq!(user_error_codes(&one), Vec::<String>::new(), "{one}");
        assert_eq!(user_error_codes(&two), Vec::<String>::new(), "{two}");
        let ((access_one, next_one), (access_two, next_two)) = (tokens(&one), tokens(&two));
        assert_eq!(next_one, next_two, "both tabs hold the same successor");
        assert_eq!(status(&app, &access_one).await, StatusCode::OK);
        assert_eq!(status(&other, &access_two).await, StatusCode::OK);

        // The session goes on from the shared successor, and nothing was revoked.
        let after = refresh(&other, &next_one).await;
        let (access_after, _) = tokens(&after);
        assert_eq!(status(&app, &access_after).await, StatusCode::OK);
        assert_eq!(status(&app, &access_one).await, StatusCode::OK);
    }
}

db_test! {
    async fn a_second_use_inside_the_grace_window_gets_the_same_successor_and_after_it_ends_the_family(app) {
        let (first_access, first) = signed_in(&app).await;
        let (second_access, second) = tokens(&refresh(&app, &first).await);

        app.clock.advance(Duration::seconds(app.settings.refresh_grace_secs - 1));
        let (again_access, again) = tokens(&refresh(&app, &first).await);
        assert_eq!(again, second);
        assert_ne!(again_access, second_access, "a fresh access token each time");

        app.clock.advance(Duration::seconds(2));
        let late = refresh(&app, &first).await;
        assert_eq!(user_error_codes(&late), vec!["INVALID_TOKEN"]);
        assert_eq!(user_error_codes(&refresh(&app, &second).await), vec!["INVALID_TOKEN"]);
        for access in [first_access, second_access, again_access] {
            assert_eq!(status(&app, &access).await, StatusCode::UNAUTHORIZED);
        }
    }
}

db_test_with! {
    async fn a_grace_window_of_zero_ends_the_family_at_the_first_reuse(app) with |s| s.refresh_grace_secs = 0;
    {
        let (_, first) = signed_in(&app).await;
        let (access, _) = tokens(&refresh(&app, &first).await);
        assert_eq!(user_error_codes(&refresh(&app, &first).await), vec!["INVALID_TOKEN"]);
        assert_eq!(status(&app, &access).await, StatusCode::UNAUTHORIZED);
    }
}
