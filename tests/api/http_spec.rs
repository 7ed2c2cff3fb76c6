//! GraphQL over HTTP (graphql/graphql-over-http), spoken in raw HTTP: content negotiation,
//! status codes, which bodies carry `data`, GET rules, batching, and the request id.

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, ALLOW, CONTENT_TYPE, HeaderMap};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::{db_test, db_test_with};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// Requests that never reach execution: (what is wrong, the body, the error code).
fn unexecutable_requests() -> Vec<(&'static str, Value, &'static str)> {
    vec![
        ("a document that does not parse", json!({ "query": "{ viewer { role " }), "GRAPHQL_PARSE_FAILED"),
        (
            "a document that fails validation",
            json!({ "query": "{ noSuchField }" }),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "variables that do not coerce",
            json!({
                "query": "query($n: Int!) { institutions(first: $n) { totalCount } }",
                "variables": { "n": "ten" },
            }),
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ]
}

/// The media type of a response, without parameters such as `charset`.
fn media_type(headers: &HeaderMap) -> String {
    let value = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

/// POSTs a JSON body to /graphql with an optional `Accept`.
async fn post(app: &TestApp, accept: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = app.client.post(app.url("/graphql")).json(body);
    if let Some(accept) = accept {
        request = request.header(ACCEPT, accept);
    }
    request.send().await.expect("sending the request")
}

async fn get(app: &TestApp, accept: Option<&str>, params: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.client.get(app.url("/graphql")).query(params);
    if let Some(accept) = accept {
        request = request.header(ACCEPT, accept);
    }
    request.send().await.expect("sending the request")
}

db_test! {
    async fn accepting_graphql_response_json_gets_that_content_type(app) {
        let response = post(&app, Some(GRAPHQL_RESPONSE_JSON), &json!({ "query": "{ __typename }" })).await;

        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(media_type(response.headers()), GRAPHQL_RESPONSE_JSON);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["data"]["__typename"], json!("Query"));
    }
}

db_test! {
    async fn no_accept_any_type_or_plain_json_get_application_json(app) {
        for accept in [None, Some("*/*"), Some("application/*"), Some(JSON)] {
            let response = post(&app, accept, &json!({ "query": "{ __typename }" })).await;

            assert_eq!(response.status(), StatusCode::OK, "{accept:?}");
            assert_eq!(media_type(response.headers()), JSON, "{accept:?}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["data"]["__typename"], json!("Query"), "{accept:?}");
        }
    }
}

db_test! {
    async fn accepting_only_types_we_cannot_produce_is_a_406(app) {
        for accept in ["text/html", "text/plain, image/png", "application/xml", "application/graphql-response+json;q=0"] {
            let response = post(&app, Some(accept), &json!({ "query": "{ __typename }" })).await;

            assert_eq!(response.status(), StatusCode::NOT_ACCEPTABLE, "{accept}");
        }
    }
}

db_test! {
    async fn a_body_that_is_not_json_is_a_400(app) {
        for accept in [GRAPHQL_RESPONSE_JSON, JSON] {
            let response = app
                .client
                .post(app.url("/graphql"))
                .header(ACCEPT, accept)
                .header(CONTENT_TYPE, JSON)
                .body("{ \"query\": ")
                .send()
                .await
                .unwrap();

            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{accept}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(error_code(&body), "BAD_REQUEST", "{accept}");
            assert!(body.get("data").is_none(), "{body}");
        }
    }
}

db_test! {
    async fn under_graphql_response_json_a_request_that_never_executes_is_a_400_without_data(app) {
        for (case, request, code) in unexecutable_requests() {
            let response = post(&app, Some(GRAPHQL_RESPONSE_JSON), &request).await;

            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{case}");
            assert_eq!(media_type(response.headers()), GRAPHQL_RESPONSE_JSON, "{case}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(error_code(&body), code, "{case}: {body}");
            assert!(body.get("data").is_none(), "{case}: {body}");
        }
    }
}

db_test! {
    async fn under_application_json_a_request_that_never_executes_is_a_200_without_data(app) {
        for (case, request, code) in unexecutable_requests() {
            let response = post(&app, Some(JSON), &request).await;

            assert_eq!(response.status(), StatusCode::OK, "{case}");
            assert_eq!(media_type(response.headers()), JSON, "{case}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(error_code(&body), code, "{case}: {body}");
            assert!(body.get("data").is_none(), "{case}: {body}");
        }
    }
}

db_test! {
    async fn a_request_that_executes_is_a_200_with_data_even_when_a_resolver_fails(app) {
        for accept in [GRAPHQL_RESPONSE_JSON, JSON] {
            let response = post(&app, Some(accept), &json!({ "query": "{ viewer { role } }" })).await;

            assert_eq!(response.status(), StatusCode::OK, "{accept}");
            assert_eq!(media_type(response.headers()), accept);
            let body: Value = response.json().await.unwrap();
            assert_eq!(error_code(&body), "UNAUTHENTICATED", "{accept}: {body}");
            assert!(body.get("data").is_some(), "{accept}: {body}");
        }
    }
}

db_test! {
    async fn a_post_without_a_json_content_type_is_a_415(app) {
        let body = json!({ "query": "{ __typename }" }).to_string();
        for content_type in [Some("text/plain"), Some("application/x-www-form-urlencoded"), None] {
            let mut request = app.client.post(app.url("/graphql")).body(body.clone());
            if let Some(content_type) = content_type {
                request = request.header(CONTENT_TYPE, content_type);
            }

            let response = request.send().await.unwrap();

            assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type:?}");
        }
    }
}

db_test! {
    async fn a_json_content_type_with_a_charset_is_accepted(app) {
        let response = app
            .client
            .post(app.url("/graphql"))
            .header(CONTENT_TYPE, "application/json; charset=utf-8")
            .body(json!({ "query": "{ __typename }" }).to_string())
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["data"]["__typename"], json!("Query"));
    }
}

db_test! {
    async fn a_query_can_be_sent_with_get(app) {
        let response = get(&app, Some(GRAPHQL_RESPONSE_JSON), &[("query", "{ __typename }")]).await;

        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(media_type(response.headers()), GRAPHQL_RESPONSE_JSON);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["data"]["__typename"], json!("Query"));
    }
}

db_test! {
    async fn a_mutation_sent_with_get_is_a_405_that_allows_post(app) {
        let mutation = "mutation { signOut(input: {refreshToken: \"x\"}) { signedOut } }";

        let response = get(&app, None, &[("query", mutation)]).await;

        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers().get(ALLOW).unwrap(), "POST");
        let body: Value = response.json().await.unwrap();
        assert!(body.get("data").is_none(), "{body}");
    }
}

db_test_with! {
    async fn over_get_the_operation_chosen_by_operation_name_decides_whether_it_is_a_mutation(app) with |_| {};
    {
        let document = "query Who { __typename } mutation Out { signOut(input: {refreshToken: \"x\"}) { signedOut } }";

        let mutation = get(&app, None, &[("query", document), ("operationName", "Out")]).await;
        let query = get(&app, None, &[("query", document), ("operationName", "Who")]).await;

        assert_eq!(mutation.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(mutation.headers().get(ALLOW).unwrap(), "POST");
        assert_eq!(query.status(), StatusCode::OK);
        let body: Value = query.json().await.unwrap();
        assert_eq!(body["data"]["__typename"], json!("Query"));
    }
}

db_test! {
    async fn a_mutation_among_several_operations_is_never_executed_over_get(app) {
        let document = "query Who { __typename } mutation Out { signOut(input: {refreshToken: \"x\"}) { signedOut } }";

        for name in ["operationName", "operation_name"] {
            let response = get(&app, Some(GRAPHQL_RESPONSE_JSON), &[("query", document), (name, "Out")]).await;

            assert!(response.status().is_client_error(), "{name}: {}", response.status());
            let body: Value = response.json().await.unwrap();
            assert!(body.get("data").is_none(), "{name}: {body}");
        }
    }
}

db_test! {
    async fn a_browser_asking_for_graphql_without_a_query_gets_the_explorer_served_from_the_binary(app) {
        let response = get(&app, Some("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"), &[]).await;

        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(media_type(response.headers()), "text/html");
        let policy = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(policy.contains("script-src 'self';") && policy.contains("connect-src 'self'"), "{policy}");
        let page = response.text().await.unwrap();
        assert!(!page.contains("http://") && !page.contains("https://"), "nothing from elsewhere: {page}");
        let files: Vec<&str> = page.split('"').filter(|part| part.starts_with("/graphiql/")).collect();
        assert_eq!(files.len(), 6, "GraphiQL, React, its style, and the explorer's own: {page}");
        for file in files {
            let response = app.client.get(app.url(file)).header("Accept-Encoding", "gzip").send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{file}");
            let gzipped = response.headers().get("content-encoding").is_some_and(|v| v == "gzip");
            let body = response.bytes().await.unwrap();
            assert!(body.len() > 500, "{file}");
            assert_eq!(gzipped, body.starts_with(&[0x1f, 0x8b]), "{file}: sent as stored");
            if gzipped {
                let plain = app.client.get(app.url(file)).send().await.unwrap();
                assert_eq!(plain.status(), StatusCode::NOT_ACCEPTABLE, "{file} without gzip");
            }
        }
        let script = app.client.get(app.url("/graphiql/explorer.js")).send().await.unwrap().text().await.unwrap();
        assert!(script.contains("query WhoAmI") && script.contains("refreshToken"), "the worked example and renewal");
        assert_eq!(app.client.get(app.url("/graphiql/elsewhere.js")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    }
}

db_test! {
    async fn a_get_without_a_query_that_does_not_want_html_is_a_400(app) {
        for accept in [None, Some(JSON), Some(GRAPHQL_RESPONSE_JSON)] {
            let response = get(&app, accept, &[]).await;

            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{accept:?}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(error_code(&body), "BAD_REQUEST", "{accept:?}");
        }
    }
}

db_test! {
    async fn a_batch_gets_one_result_per_operation_in_order(app) {
        let batch = json!([
            { "query": "query First { __typename }" },
            { "query": "query Second { second: __typename }" },
        ]);

        let response = post(&app, None, &batch).await;

        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        let results = body.as_array().unwrap_or_else(|| panic!("not an array: {body}"));
        assert_eq!(results.len(), 2);
        assert_eq!(results[0]["data"]["__typename"], json!("Query"));
        assert_eq!(results[1]["data"]["second"], json!("Query"));
    }
}

db_test_with! {
    async fn an_empty_batch_is_a_400(app) with |_| {};
    {
        for accept in [JSON, GRAPHQL_RESPONSE_JSON] {
            let response = post(&app, Some(accept), &json!([])).await;

            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{accept}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(error_code(&body), "BAD_REQUEST", "{accept}: {body}");
        }
    }
}

db_test_with! {
    async fn a_batch_over_the_limit_is_a_400(app) with |settings| settings.max_batch_size = 2;
    {
        let operation = json!({ "query": "{ __typename }" });

        let at_limit = post(&app, None, &json!([operation, operation])).await;
        let over_limit = post(&app, None, &json!([operation, operation, operation])).await;

        assert_eq!(at_limit.status(), StatusCode::OK);
        assert_eq!(over_limit.status(), StatusCode::BAD_REQUEST);
        let body: Value = over_limit.json().await.unwrap();
        assert_eq!(error_code(&body), "BAD_REQUEST");
        assert!(body.get("data").is_none(), "{body}");
    }
}

db_test! {
    async fn every_response_carries_a_request_id(app) {
        let query = json!({ "query": "{ __typename }" });
        let responses = vec![
            ("a query", post(&app, None, &query).await),
            ("a 400", post(&app, Some(GRAPHQL_RESPONSE_JSON), &json!({ "query": "{" })).await),
            ("a 406", post(&app, Some("text/plain"), &query).await),
            ("a 415", app.client.post(app.url("/graphql")).body("{}").send().await.unwrap()),
            ("GraphiQL", get(&app, Some("text/html"), &[]).await),
            ("health", app.client.get(app.url("/healthz")).send().await.unwrap()),
            ("an unknown path", app.client.get(app.url("/no-such-path")).send().await.unwrap()),
        ];

        let mut seen = std::collections::HashSet::new();
        for (case, response) in responses {
            let id = response.headers().get("x-request-id").unwrap_or_else(|| panic!("{case}: no x-request-id"));
            let id = id.to_str().unwrap().to_owned();
            assert!(!id.is_empty(), "{case}");
            assert!(seen.insert(id), "{case}: request id reused");
        }
    }
}
