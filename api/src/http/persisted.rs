//! Persisted queries, as Apollo's automatic persisted queries define them: a client sends only
//! `extensions.persistedQuery.sha256Hash`; an unknown hash is answered `PERSISTED_QUERY_NOT_FOUND`
//! and the client sends the document with its hash once, which registers it. With a manifest of
//! the front end's documents and `SPRINGBOARD_PERSISTED_QUERIES_ONLY`, only those documents run:
//! a production front end's API then answers nothing it was not built to ask.
//!
//! Registered documents live in this process (at most `MAX_REGISTERED`); another replica that has
//! not seen a hash answers NOT_FOUND and the client registers it there, as the protocol expects.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::Request;
use sha2::{Digest, Sha256};

use crate::graphql::errors::codes;

/// Documents registered through the protocol that one process keeps; past it, the oldest
/// registration is forgotten (its client registers it again).
pub const MAX_REGISTERED: usize = 10_000;
/// Longest document registered: a front end's queries are far shorter.
pub const MAX_DOCUMENT_BYTES: usize = 100_000;

#[derive(Default)]
pub struct PersistedQueries {
    /// Documents the front end shipped with, by hash.
    manifest: HashMap<String, Arc<str>>,
    /// Only the manifest's documents run.
    only_manifest: bool,
    registered: Mutex<Registered>,
}

#[derive(Default)]
struct Registered {
    by_hash: HashMap<String, Arc<str>>,
    order: std::collections::VecDeque<String>,
}

/// Why a request does not run.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

/// The manifest could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("reading the persisted-query manifest: {0}")]
    Read(#[from] std::io::Error),
    #[error("the persisted-query manifest is not JSON of the expected shape: {0}")]
    Shape(String),
    #[error("the persisted-query manifest lists {hash} for a document whose SHA-256 is {actual}")]
    Mismatch { hash: String, actual: String },
}

pub fn sha256_hex(document: &str) -> String {
    Sha256::digest(document.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

impl PersistedQueries {
    /// `manifest`: Apollo's persisted-query manifest (`{"format": "apollo-persisted-query-manifest",
    /// "version": 1, "operations": [{"id": <sha256>, "body": <document>, …}]}`) or a plain
    /// `{ <sha256>: <document> }` object. Every hash is checked against its document.
    pub fn new(manifest: Option<&str>, only_manifest: bool) -> Result<Self, ManifestError> {
        let mut documents = HashMap::new();
        if let Some(text) = manifest {
            let value: serde_json::Value =
                serde_json::from_str(text).map_err(|e| ManifestError::Shape(e.to_string()))?;
            let pairs: Vec<(String, String)> = match value.get("operations").and_then(|o| o.as_array()) {
                Some(operations) => operations
                    .iter()
                    .map(|op| {
                        match (op.get("id").and_then(|v| v.as_str()), op.get("body").and_then(|v| v.as_str()))
                        {
                            (Some(id), Some(body)) => Ok((id.to_owned(), body.to_owned())),
                            _ => {
                                Err(ManifestError::Shape("each operation needs an `id` and a `body`".into()))
                            }
                        }
                    })
                    .collect::<Result<_, _>>()?,
                None => value
                    .as_object()
                    .ok_or_else(|| ManifestError::Shape("expected an object".into()))?
                    .iter()
                    .map(|(hash, body)| match body.as_str() {
                        Some(body) => Ok((hash.clone(), body.to_owned())),
                        None => Err(ManifestError::Shape(format!("the document for {hash} is not a string"))),
                    })
                    .collect::<Result<_, _>>()?,
            };
            for (hash, body) in pairs {
                let actual = sha256_hex(&body);
                if actual != hash.to_ascii_lowercase() {
                    return Err(ManifestError::Mismatch { hash, actual });
                }
                documents.insert(actual, Arc::from(body));
            }
        }
        Ok(Self { manifest: documents, only_manifest, registered: Mutex::default() })
    }

    /// Fills in a hash-only request's document, registers a new one, and refuses what may not run.
    pub fn resolve(&self, request: &mut Request) -> Result<(), Refusal> {
        let hash = match request.extensions.get("persistedQuery") {
            None => None,
            Some(extension) => Some(requested_hash(extension)?),
        };
        match (hash, request.query.is_empty()) {
            (None, _) => {
                if self.only_manifest && !self.manifest.contains_key(&sha256_hex(&request.query)) {
                    return Err(not_allowed());
                }
                Ok(())
            }
            (Some(hash), true) => match self.lookup(&hash) {
                Some(document) => {
                    request.query = document.to_string();
                    Ok(())
                }
                None if self.only_manifest => Err(not_allowed()),
                None => Err(Refusal::new(codes::PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")),
            },
            (Some(hash), false) => {
                if sha256_hex(&request.query) != hash {
                    return Err(Refusal::new(
                        codes::BAD_REQUEST,
                        "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query",
                    ));
                }
                if self.manifest.contains_key(&hash) {
                    return Ok(());
                }
                if self.only_manifest {
                    return Err(not_allowed());
                }
                if request.query.len() <= MAX_DOCUMENT_BYTES {
                    self.register(hash, &request.query);
                }
                Ok(())
            }
        }
    }

    fn lookup(&self, hash: &str) -> Option<Arc<str>> {
        if let Some(document) = self.manifest.get(hash) {
            return Some(document.clone());
        }
        let registered = self.registered.lock().unwrap_or_else(PoisonError::into_inner);
        registered.by_hash.get(hash).cloned()
    }

    fn register(&self, hash: String, document: &str) {
        let mut registered = self.registered.lock().unwrap_or_else(PoisonError::into_inner);
        if registered.by_hash.contains_key(&hash) {
            return;
        }
        if registered.order.len() >= MAX_REGISTERED
            && let Some(oldest) = registered.order.pop_front()
        {
            registered.by_hash.remove(&oldest);
        }
        registered.order.push_back(hash.clone());
        registered.by_hash.insert(hash, Arc::from(document));
    }
}

fn not_allowed() -> Refusal {
    Refusal::new(
        codes::PERSISTED_QUERY_NOT_ALLOWED,
        "this server runs only the documents its persisted-query manifest lists",
    )
}

/// The hash a `persistedQuery` extension names: version 1 and a SHA-256 in hex.
fn requested_hash(extension: &async_graphql::Value) -> Result<String, Refusal> {
    let invalid = |message: &str| Refusal::new(codes::BAD_REQUEST, message);
    let async_graphql::Value::Object(fields) = extension else {
        return Err(invalid("extensions.persistedQuery is an object: {\"version\": 1, \"sha256Hash\": …}"));
    };
    let version = fields.get("version").and_then(|v| match v {
        async_graphql::Value::Number(n) => n.as_i64(),
        _ => None,
    });
    if version != Some(1) {
        return Err(invalid("extensions.persistedQuery.version must be 1"));
    }
    match fields.get("sha256Hash") {
        Some(async_graphql::Value::String(hash))
            if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Ok(hash.to_ascii_lowercase())
        }
        _ => Err(invalid("extensions.persistedQuery.sha256Hash is a SHA-256 in hexadecimal")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUERY: &str = "{ apiVersion }";

    fn hashed(query: &str, hash: &str) -> Request {
        let mut request = Request::new(query);
        let extension = serde_json::json!({ "version": 1, "sha256Hash": hash });
        request
            .extensions
            .insert("persistedQuery".into(), async_graphql::Value::from_json(extension).unwrap());
        request
    }

    #[test]
    fn an_unknown_hash_is_not_found_until_its_document_registers_it() {
        let store = PersistedQueries::new(None, false).unwrap();
        let hash = sha256_hex(QUERY);
        let refused = store.resolve(&mut hashed("", &hash)).unwrap_err();
        assert_eq!(refused.code, codes::PERSISTED_QUERY_NOT_FOUND);
        assert_eq!(store.resolve(&mut hashed(QUERY, &hash)), Ok(()));
        let mut again = hashed("", &hash);
        assert_eq!(store.resolve(&mut again), Ok(()));
        assert_eq!(again.query, QUERY);
        let wrong = store.resolve(&mut hashed("{ other }", &hash)).unwrap_err();
        assert_eq!(wrong.code, codes::BAD_REQUEST);
    }

    #[test]
    fn with_a_manifest_only_its_documents_run() {
        let hash = sha256_hex(QUERY);
        let manifest = serde_json::json!({ "format": "apollo-persisted-query-manifest", "version": 1,
            "operations": [{ "id": hash, "name": "Version", "type": "query", "body": QUERY }] })
        .to_string();
        let store = PersistedQueries::new(Some(&manifest), true).unwrap();
        let mut by_hash = hashed("", &hash);
        assert_eq!(store.resolve(&mut by_hash), Ok(()));
        assert_eq!(by_hash.query, QUERY);
        assert_eq!(store.resolve(&mut Request::new(QUERY)), Ok(()), "the full document, listed");
        let other = store.resolve(&mut Request::new("{ __typename }")).unwrap_err();
        assert_eq!(other.code, codes::PERSISTED_QUERY_NOT_ALLOWED);
        let unlisted = "{ __schema { types { name } } }";
        let registering = store.resolve(&mut hashed(unlisted, &sha256_hex(unlisted))).unwrap_err();
        assert_eq!(registering.code, codes::PERSISTED_QUERY_NOT_ALLOWED, "no registration in this mode");
        let bad = serde_json::json!({ "0000": QUERY }).to_string();
        assert!(matches!(PersistedQueries::new(Some(&bad), true), Err(ManifestError::Mismatch { .. })));
    }

    #[test]
    fn registrations_are_bounded() {
        let store = PersistedQueries::new(None, false).unwrap();
        for i in 0..=MAX_REGISTERED {
            let query = format!("{{ a{i}: apiVersion }}");
            store.resolve(&mut hashed(&query, &sha256_hex(&query))).unwrap();
        }
        let first = "{ a0: apiVersion }";
        assert!(store.resolve(&mut hashed("", &sha256_hex(first))).is_err(), "the oldest was forgotten");
    }
}
