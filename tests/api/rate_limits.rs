//! Cost-based rate limits: each caller's budget of cost points, charged before an operation
//! runs, told in the RateLimit / RateLimit-Policy fields and `extensions.cost`, refused with
//! 429 and `Retry-After` when spent; shared by replicas through Redis.

use entity::institution::InstitutionKind;
use entity::membership::Role;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use springboard::settings::Settings;

use crate::db_test_with;
use crate::helpers::*;

/// `{ viewer { user { email } } }`: three fields, so it costs 3.
const CHEAP: &str = "{ viewer { user { email } } }";
const CHEAP_COST: u64 = 3;

/// A budget of 100 points refilled at one a second (the complexity limit has to shrink with it).
fn small_budget(s: &mut Settings) {
    s.max_query_complexity = 100;
    s.rate_limit_burst = 100;
    s.rate_limit_per_sec = 1;
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> &'h str {
    headers.get(name).map(|v| v.to_str().unwrap()).unwrap_or_else(|| panic!("no {name} in {headers:?}"))
}

/// `r` and `t` of a `RateLimit` field: `"cost";r=94;t=6`.
fn remaining_and_reset(headers: &HeaderMap) -> (u64, u64) {
    let value = header(headers, "ratelimit");
    let param = |name: &str| -> u64 {
        let found = value.split(';').find_map(|p| p.strip_prefix(&format!("{name}=")));
        found.unwrap_or_else(|| panic!("no {name} in {value}")).parse().unwrap()
    };
    assert!(value.starts_with("\"cost\";"), "{value}");
    (param("r"), param("t"))
}

fn cost(body: &Value) -> (u64, u64, Option<u64>) {
    let cost = &body["extensions"]["cost"];
    let number = |key: &str| cost[key].as_u64().unwrap_or_else(|| panic!("no cost.{key} in {body}"));
    (number("requested"), number("actual"), cost["remaining"].as_u64())
}

db_test_with! {
    async fn every_response_tells_the_budget_and_a_burst_over_it_gets_429_with_retry_after(app) with small_budget;
    {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let token = app.token(institution, Role::Member).await;

        // The first charge meets a full bucket, so the numbers are exact.
        let (status, headers, body) = app.graphql_full(CHEAP, json!({}), Some(&token)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(header(&headers, "ratelimit-policy"), "\"cost\";q=100;qu=\"graphql-cost\";w=100");
        assert_eq!(cost(&body), (CHEAP_COST, CHEAP_COST, Some(100 - CHEAP_COST)), "{body}");
        assert_eq!(remaining_and_reset(&headers), (100 - CHEAP_COST, CHEAP_COST), "full again in 3 s");

        let mut last_remaining = 100 - CHEAP_COST;
        let refused = loop {
            let (status, headers, body) = app.graphql_full(CHEAP, json!({}), Some(&token)).await;
            if status == StatusCode::TOO_MANY_REQUESTS {
                break (headers, body);
            }
            assert_eq!(status, StatusCode::OK, "{body}");
            let (remaining, _) = remaining_and_reset(&headers);
            assert_eq!(cost(&body).2, Some(remaining), "header and extensions agree: {body}");
            assert!(remaining < last_remaining, "each request spends: {remaining} after {last_remaining}");
            last_remaining = remaining;
        };

        let (headers, body) = refused;
        assert_eq!(error_code(&body), "RATE_LIMITED", "{body}");
        assert!(body.get("data").is_none(), "{body}");
        let retry_after: u64 = header(&headers, "retry-after").parse().unwrap();
        assert!((1..=CHEAP_COST).contains(&retry_after), "{retry_after}");
        let (remaining, reset) = remaining_and_reset(&headers);
        assert!(remaining < CHEAP_COST, "refused only when the budget cannot pay: {remaining}");
        assert_eq!(reset, retry_after, "RateLimit's t is the wait Retry-After asks for");
        assert_eq!(cost(&body), (CHEAP_COST, 0, Some(remaining)), "a refusal spends nothing: {body}");
        assert_eq!(body["errors"][0]["extensions"]["retryAfter"], json!(retry_after));

        // After the wait it asked for, the same request goes through.
        app.clock.advance(chrono::Duration::seconds(i64::try_from(retry_after).unwrap()));
        let (status, _, body) = app.graphql_full(CHEAP, json!({}), Some(&token)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(metric(&app, "springboard_rate_limited_total").await.unwrap() >= 1.0);
    }
}

db_test_with! {
    async fn an_operation_that_never_ran_is_charged_one_point(app) with small_budget;
    {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let token = app.token(institution, Role::Member).await;

        let (status, headers, body) = app.graphql_full("{ viewer { user { email shoeSize } } }", json!({}), Some(&token)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
        assert_eq!(cost(&body), (4, 1, Some(99)), "{body}");
        assert_eq!(remaining_and_reset(&headers).0, 99);
    }
}

db_test_with! {
    async fn a_write_refused_to_a_read_token_is_charged_one_point_and_says_so(app) with small_budget;
    {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let admin = app.token(institution, Role::Admin).await;
        let create = "mutation { createApiToken(input: {name: \"reader\", scope: READ}) { secret } }";
        let created = app.graphql(create, json!({}), Some(&admin)).await;
        let reader = created["data"]["createApiToken"]["secret"].as_str().unwrap().to_owned();

        let write = "mutation { signOut(input: {refreshToken: \"x\"}) { signedOut } }";
        let (status, headers, body) = app.graphql_full(write, json!({}), Some(&reader)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(remaining_and_reset(&headers).0, 99, "charged 1 of its 2");
    }
}

db_test_with! {
    async fn each_caller_and_each_membership_has_a_budget_of_its_own(app) with small_budget;
    {
        let college = app.institution(InstitutionKind::RoyalCollege).await;
        let hospital = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(college, Role::Member).await;
        app.join(&person, hospital, Role::Member).await;
        let as_college = app.sign_in(&person, Some(college)).await;
        let as_hospital = app.sign_in(&person, Some(hospital)).await;
        let colleague = app.token(college, Role::Member).await;

        // Thirty aliases of `viewer { role }` cost 60: one fits a budget of 100, two do not.
        let heavy = format!("{{ {} }}", (0..30).map(|i| format!("a{i}: viewer {{ role }}")).collect::<Vec<_>>().join(" "));
        let (status, _, body) = app.graphql_full(&heavy, json!({}), Some(&as_college)).await;
        assert_eq!((status, cost(&body).2), (StatusCode::OK, Some(40)), "{body}");
        let (status, _, _) = app.graphql_full(&heavy, json!({}), Some(&as_college)).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);

        for other in [&as_hospital, &colleague] {
            let (status, _, body) = app.graphql_full(&heavy, json!({}), Some(other)).await;
            assert_eq!((status, cost(&body).2), (StatusCode::OK, Some(40)), "{body}");
        }
    }
}

db_test_with! {
    async fn anonymous_requests_have_no_budget_and_say_so(app) with small_budget;
    {
        for _ in 0..40 {
            let (status, headers, body) = app.graphql_full("{ __typename a: __typename }", json!({}), None).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert!(headers.get("ratelimit").is_none() && headers.get("ratelimit-policy").is_none());
            assert_eq!(cost(&body), (1, 1, None), "{body}");
        }
    }
}

db_test_with! {
    async fn replicas_sharing_redis_spend_from_one_budget(app) with |s| { small_budget(s); with_redis(s); };
    {
        let other = app.replica().await;
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let token = app.token(institution, Role::Member).await;

        let (_, first, _) = app.graphql_full(CHEAP, json!({}), Some(&token)).await;
        assert_eq!(remaining_and_reset(&first).0, 100 - CHEAP_COST);
        let (_, second, body) = other.graphql_full(CHEAP, json!({}), Some(&token)).await;
        let (remaining, _) = remaining_and_reset(&second);
        assert!(remaining <= 100 - 2 * CHEAP_COST + 1, "the second replica spent from the same budget: {remaining}");
        assert_eq!(cost(&body).2, Some(remaining));

        // Spent through one replica, refused by both.
        loop {
            let (status, _, _) = other.graphql_full(CHEAP, json!({}), Some(&token)).await;
            if status == StatusCode::TOO_MANY_REQUESTS {
                break;
            }
        }
        let (status, headers, body) = app.graphql_full(CHEAP, json!({}), Some(&token)).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert!(headers.get("retry-after").is_some());
    }
}

db_test_with! {
    async fn with_redis_unreachable_each_replica_keeps_a_budget_of_its_own(app) with |s| {
        small_budget(s);
        s.redis_url = Some(springboard::settings::Secret::new("redis://127.0.0.1:1"));
    };
    {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let token = app.token(institution, Role::Member).await;

        let (status, headers, body) = app.graphql_full(CHEAP, json!({}), Some(&token)).await;
        assert_eq!(status, StatusCode::OK, "served while Redis is down: {body}");
        assert_eq!(remaining_and_reset(&headers).0, 100 - CHEAP_COST);
        loop {
            let (status, _, _) = app.graphql_full(CHEAP, json!({}), Some(&token)).await;
            if status == StatusCode::TOO_MANY_REQUESTS {
                break;
            }
        }
        assert!(metric(&app, "springboard_redis_fallbacks_total").await.unwrap() >= 1.0);
    }
}
