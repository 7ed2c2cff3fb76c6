//! What operators and browsers see outside GraphQL: health, readiness, metrics and CORS.

use reqwest::StatusCode;
use reqwest::header::{
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_REQUEST_HEADERS,
    ACCESS_CONTROL_REQUEST_METHOD, ORIGIN,
};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::{db_test, db_test_with};

const PARTNER: &str = "https://partner.example.org";
const EVIL: &str = "https://evil.example.org";

async fn metrics(app: &TestApp) -> String {
    app.metrics_text().await
}

/// The `springboard_graphql_requests_total` sample lines.
fn request_counts(metrics: &str) -> Vec<&str> {
    metrics.lines().filter(|line| line.starts_with("springboard_graphql_requests_total{")).collect()
}

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(reqwest::Method::OPTIONS, app.url("/graphql"))
        .header(ORIGIN, origin)
        .header(ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(ACCESS_CONTROL_REQUEST_HEADERS, "content-type, authorization")
        .send()
        .await
        .expect("sending the preflight")
}

db_test! {
    async fn metrics_need_their_bearer_token(app) {
        let get = |token: Option<&'static str>| {
            let mut request = app.client.get(app.url("/metrics"));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            request.send()
        };
        for refused in [None, Some("not-the-token"), Some("")] {
            let response = get(refused).await.unwrap();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{refused:?}");
            assert_eq!(response.headers()["www-authenticate"], "Bearer realm=\"metrics\"");
            assert!(!response.text().await.unwrap().contains("springboard_"), "no metric leaks");
        }
        let response = get(Some(METRICS_TOKEN)).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.text().await.unwrap().contains("springboard_db_pool_connections"));
    }
}

db_test_with! {
    async fn metrics_on_a_private_address_leave_the_public_one(app) with |s| {
        s.metrics_bind = Some("127.0.0.1:0".into());
    };
    {
        let public = app.client.get(app.url("/metrics")).bearer_auth(METRICS_TOKEN).send().await.unwrap();
        assert_eq!(public.status(), StatusCode::NOT_FOUND, "the public address serves no /metrics");
        let port = app.metrics_port.expect("a private listener");
        let private = app.client.get(format!("http://127.0.0.1:{port}/metrics")).send().await.unwrap();
        assert_eq!(private.status(), StatusCode::OK);
        assert!(private.text().await.unwrap().contains("springboard_db_pool_connections"));
        let graphql = app.client.get(format!("http://127.0.0.1:{port}/graphql")).send().await.unwrap();
        assert_eq!(graphql.status(), StatusCode::NOT_FOUND, "the private address serves /metrics alone");
    }
}

db_test! {
    async fn healthz_says_ok(app) {
        let response = app.client.get(app.url("/healthz")).send().await.unwrap();

        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, json!({ "status": "ok" }));
    }
}

db_test! {
    async fn readyz_is_ready_while_the_database_answers(app) {
        let response = app.client.get(app.url("/readyz")).send().await.unwrap();

        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, json!({ "status": "ready" }));
    }
}

db_test! {
    async fn metrics_count_requests_by_the_operation_name_sent(app) {
        let request = json!({ "query": "query WhoAmI { __typename }", "operationName": "WhoAmI" });
        let response = app.client.post(app.url("/graphql")).json(&request).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);

        let text = metrics(&app).await;

        let counts = request_counts(&text);
        assert!(
            counts.iter().any(|line| line.contains("operation=\"WhoAmI\"") && line.contains("outcome=\"ok\"")),
            "{text}"
        );
        assert!(text.contains("springboard_graphql_request_duration_seconds"), "{text}");
    }
}

db_test_with! {
    async fn metrics_count_a_named_operation_by_its_name_when_operation_name_is_omitted(app) with |_| {};
    {
        app.graphql("query WhoAmI { __typename }", json!({}), None).await;

        let text = metrics(&app).await;

        let counts = request_counts(&text);
        assert!(counts.iter().any(|line| line.contains("operation=\"WhoAmI\"")), "{text}");
    }
}

db_test! {
    async fn metrics_count_refused_and_failed_operations_apart(app) {
        app.graphql("query Anonymous { viewer { role } }", json!({}), None).await;
        let request = json!({ "query": "query Broken { noSuchField }", "operationName": "Broken" });
        app.client.post(app.url("/graphql")).json(&request).send().await.unwrap();

        let text = metrics(&app).await;

        let counts = request_counts(&text);
        assert!(
            counts.iter().any(|line| line.contains("operation=\"Broken\"") && line.contains("outcome=\"rejected\"")),
            "{text}"
        );
        assert!(counts.iter().any(|line| line.contains("outcome=\"error\"")), "{text}");
    }
}

db_test! {
    async fn metrics_report_the_database_pool(app) {
        let text = metrics(&app).await;

        assert!(text.contains("springboard_db_pool_connections{state=\"idle\"}"), "{text}");
        assert!(text.contains("springboard_db_pool_connections{state=\"in_use\"}"), "{text}");
    }
}

db_test! {
    async fn a_preflight_from_the_allowed_origin_is_allowed(app) {
        let response = preflight(&app, PARTNER).await;

        assert!(response.status().is_success(), "{}", response.status());
        assert_eq!(response.headers().get(ACCESS_CONTROL_ALLOW_ORIGIN).unwrap(), PARTNER);
    }
}

db_test! {
    async fn a_preflight_from_another_origin_is_not_allowed(app) {
        let response = preflight(&app, EVIL).await;

        assert!(response.headers().get(ACCESS_CONTROL_ALLOW_ORIGIN).is_none(), "{:?}", response.headers());
    }
}

db_test! {
    async fn a_cross_origin_request_from_the_allowed_origin_can_read_the_request_id(app) {
        let response = app
            .client
            .post(app.url("/graphql"))
            .header(ORIGIN, PARTNER)
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers().get(ACCESS_CONTROL_ALLOW_ORIGIN).unwrap(), PARTNER);
        let exposed = response.headers().get(ACCESS_CONTROL_EXPOSE_HEADERS).unwrap().to_str().unwrap();
        assert!(exposed.to_ascii_lowercase().contains("x-request-id"), "{exposed}");
    }
}
