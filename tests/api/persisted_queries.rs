//! Persisted queries over HTTP, as Apollo clients speak them: a hash alone is
//! PERSISTED_QUERY_NOT_FOUND until the document is sent with it once; then the hash runs it, by
//! POST or GET. With a manifest and SPRINGBOARD_PERSISTED_QUERIES_ONLY, only listed documents run.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::db_test;
use crate::db_test_with;
use crate::helpers::*;

const VERSION: &str = "query Version { apiVersion }";

fn sha256(document: &str) -> String {
    Sha256::digest(document.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn extension(document: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256(document) } })
}

async fn post(app: &TestApp, body: Value, accept: &str) -> (u16, Value) {
    let response =
        app.client.post(app.url("/graphql")).header("Accept", accept).json(&body).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or_default()
}

db_test! {
    async fn a_hash_runs_once_its_document_has_been_sent_with_it(app) {
        let json = "application/json";
        let (status, unknown) = post(&app, json!({ "extensions": extension(VERSION) }), json).await;
        assert_eq!((status, code(&unknown)), (200, "PERSISTED_QUERY_NOT_FOUND"), "{unknown}");
        assert!(unknown.get("data").is_none(), "nothing ran: {unknown}");
        let (status, strict) =
            post(&app, json!({ "extensions": extension(VERSION) }), "application/graphql-response+json").await;
        assert_eq!((status, code(&strict)), (400, "PERSISTED_QUERY_NOT_FOUND"));

        let wrong = json!({ "query": "{ __typename }", "extensions": extension(VERSION) });
        let (_, mismatch) = post(&app, wrong, json).await;
        assert_eq!(code(&mismatch), "BAD_REQUEST", "a hash that is not the document's: {mismatch}");

        let (status, registered) = post(&app, json!({ "query": VERSION, "extensions": extension(VERSION) }), json).await;
        assert_eq!((status, registered["data"]["apiVersion"].clone()), (200, json!(env!("CARGO_PKG_VERSION"))), "{registered}");
        let (_, by_hash) = post(&app, json!({ "extensions": extension(VERSION) }), json).await;
        assert_eq!(by_hash["data"]["apiVersion"], registered["data"]["apiVersion"]);

        let query = [("extensions", extension(VERSION).to_string())];
        let got: Value = app.client.get(app.url("/graphql")).query(&query).send().await.unwrap().json().await.unwrap();
        assert_eq!(got["data"]["apiVersion"], registered["data"]["apiVersion"], "GET takes the hash too: {got}");

        // A registered mutation is still a mutation: not over GET.
        let mutation = "mutation { signOut(input: {refreshToken: \"x\"}) { signedOut } }";
        post(&app, json!({ "query": mutation, "extensions": extension(mutation) }), json).await;
        let query = [("extensions", extension(mutation).to_string())];
        let refused = app.client.get(app.url("/graphql")).query(&query).send().await.unwrap();
        assert_eq!(refused.status().as_u16(), 405);
    }
}

db_test_with! {
    async fn with_a_manifest_only_its_documents_run(app) with |settings| {
        let manifest = json!({ "format": "apollo-persisted-query-manifest", "version": 1,
            "operations": [{ "id": sha256(VERSION), "name": "Version", "type": "query", "body": VERSION }] });
        let path = std::env::temp_dir().join(format!("springboard-manifest-{}.json", uuid::Uuid::now_v7()));
        std::fs::write(&path, manifest.to_string()).unwrap();
        settings.persisted_queries_file = Some(path);
        settings.persisted_queries_only = true;
    };
    {
        let json = "application/json";
        let (_, by_hash) = post(&app, json!({ "extensions": extension(VERSION) }), json).await;
        assert_eq!(by_hash["data"]["apiVersion"], json!(env!("CARGO_PKG_VERSION")), "{by_hash}");
        let (_, listed) = post(&app, json!({ "query": VERSION }), json).await;
        assert!(listed["errors"].is_null(), "the listed document, sent whole: {listed}");
        let (_, other) = post(&app, json!({ "query": "{ __typename }" }), json).await;
        assert_eq!(code(&other), "PERSISTED_QUERY_NOT_ALLOWED", "{other}");
        let unlisted = "{ apiVersion __typename }";
        let (_, registering) = post(&app, json!({ "query": unlisted, "extensions": extension(unlisted) }), json).await;
        assert_eq!(code(&registering), "PERSISTED_QUERY_NOT_ALLOWED", "no registration in this mode");
    }
}
