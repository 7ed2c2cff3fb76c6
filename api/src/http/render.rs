//! Serialising GraphQL responses: once, straight from async-graphql's response (whose objects
//! keep the selection set's order, as the GraphQL spec asks), with no intermediate JSON tree.

use async_graphql::{ErrorExtensionValues, Response, ServerError};
use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::graphql::errors::codes;
use crate::graphql::execution::Stage;

/// A response ready to send: `data` only if execution started, and every error with a code.
pub struct Rendered {
    response: Response,
    executed: bool,
}

impl Rendered {
    /// An error raised during execution without a code did not come through our error mapping,
    /// so its text is not trusted to be fit for clients: it is logged and masked.
    pub fn new(mut response: Response, stage: Stage, request_id: &str) -> Self {
        for error in &mut response.errors {
            add_code(error, stage, request_id);
        }
        Self { response, executed: stage == Stage::Executing }
    }

    /// Adds an entry to the response's top-level `extensions`.
    pub fn set_extension(&mut self, name: &str, value: async_graphql::Value) {
        self.response.extensions.insert(name.to_owned(), value);
    }

    /// Whether the database could not serve part of this response for now: the HTTP answer
    /// is then 503 with `Retry-After`, so that a script retries rather than reports a bug.
    pub fn unavailable(&self) -> bool {
        self.response.errors.iter().any(|e| has_code(e, codes::SERVICE_UNAVAILABLE))
    }
}

fn has_code(error: &ServerError, code: &str) -> bool {
    error
        .extensions
        .as_ref()
        .and_then(|e| e.get("code"))
        .is_some_and(|value| *value == async_graphql::Value::from(code))
}

/// Whether a transaction of this response was rolled back whole by a conflict, so that running
/// the operation again is safe.
pub fn lost_a_conflict(response: &Response) -> bool {
    response.errors.iter().any(|e| {
        has_code(e, codes::SERVICE_UNAVAILABLE)
            && e.extensions.as_ref().and_then(|x| x.get("reason"))
                == Some(&async_graphql::Value::from("CONFLICT"))
    })
}

impl Serialize for Rendered {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if self.executed {
            map.serialize_entry("data", &self.response.data)?;
        }
        if !self.response.errors.is_empty() {
            map.serialize_entry("errors", &self.response.errors)?;
        }
        if !self.response.extensions.is_empty() {
            map.serialize_entry("extensions", &self.response.extensions)?;
        }
        map.end()
    }
}

/// The JSON text of a response (or a batch of them).
pub fn to_body<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_else(|err| {
        tracing::error!(error.cause_chain = %err, "a response could not be serialised");
        br#"{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}"#.to_vec()
    })
}

/// The formats the date scalars take, added to the parser's terse complaint ("premature end of
/// input") so that a client learns what to send.
const FORMATS: [(&str, &str); 2] = [
    ("\"DateTime\"", "a DateTime is RFC 3339 with a time-zone offset, such as 2026-03-01T09:00:00Z"),
    ("\"Date\"", "a date is YYYY-MM-DD, such as 2026-03-01"),
];

fn hint_format(message: &mut String) {
    if let Some((_, format)) = FORMATS.iter().find(|(scalar, _)| message.contains(scalar))
        && !message.contains(format)
    {
        message.push_str(&format!(" ({format})"));
    }
}

fn add_code(error: &mut ServerError, stage: Stage, request_id: &str) {
    if error.extensions.as_ref().is_some_and(|e| e.get("code").is_some()) {
        return;
    }
    hint_format(&mut error.message);
    let code = match stage {
        Stage::ParseFailed => codes::GRAPHQL_PARSE_FAILED,
        Stage::ValidationFailed => codes::GRAPHQL_VALIDATION_FAILED,
        Stage::Received => codes::BAD_REQUEST,
        Stage::Executing => {
            if error.message.starts_with("Failed to parse") || error.message.starts_with("Invalid value") {
                codes::BAD_USER_INPUT
            } else {
                tracing::error!(error.message = %error.message, "unmapped error during execution");
                error.message = format!("internal error (request id {request_id})");
                let mut masked = ErrorExtensionValues::default();
                masked.set("requestId", request_id);
                error.extensions = Some(masked);
                codes::INTERNAL
            }
        }
    };
    error.extensions.get_or_insert_with(ErrorExtensionValues::default).set("code", code);
}
