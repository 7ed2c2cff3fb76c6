//! Media types, as the GraphQL-over-HTTP specification uses them.

pub const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
pub const JSON: &str = "application/json";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseMedia {
    /// Status codes tell whether execution happened (4xx when it did not).
    GraphqlResponseJson,
    /// The legacy type: well-formed GraphQL responses are always 200.
    Json,
}

impl ResponseMedia {
    pub fn content_type(self) -> &'static str {
        match self {
            ResponseMedia::GraphqlResponseJson => "application/graphql-response+json; charset=utf-8",
            ResponseMedia::Json => "application/json; charset=utf-8",
        }
    }
}

/// Picks the response type from `Accept`. No header, or one that accepts anything, gets
/// `application/json`; a header naming only types we cannot produce gets `None` (406).
/// Between equal preferences the explicit GraphQL type wins, then plain JSON, then wildcards.
pub fn response_media(accept: Option<&str>) -> Option<ResponseMedia> {
    let Some(accept) = accept.map(str::trim).filter(|a| !a.is_empty()) else {
        return Some(ResponseMedia::Json);
    };
    let mut best: Option<(f32, u8, ResponseMedia)> = None;
    for entry in accept.split(',') {
        let mut parts = entry.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")))
            .find_map(|v| v.parse::<f32>().ok())
            .unwrap_or(1.0);
        if q <= 0.0 {
            continue;
        }
        let candidate = match media.as_str() {
            GRAPHQL_RESPONSE_JSON => (q, 3, ResponseMedia::GraphqlResponseJson),
            JSON => (q, 2, ResponseMedia::Json),
            "application/*" | "*/*" => (q, 1, ResponseMedia::Json),
            _ => continue,
        };
        if best.is_none_or(|(bq, rank, _)| (candidate.0, candidate.1) > (bq, rank)) {
            best = Some(candidate);
        }
    }
    best.map(|(_, _, media)| media)
}

/// POST bodies must be JSON; parameters such as `charset=utf-8` are allowed.
pub fn is_json(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case(JSON))
}

/// A GraphQL multipart request (file uploads).
pub fn is_multipart(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// A browser asking for a page rather than data.
pub fn wants_html(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| a.split(',').any(|e| e.trim().to_ascii_lowercase().starts_with("text/html")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ResponseMedia::*;

    #[test]
    fn accept_headers_pick_the_response_type() {
        let cases = [
            (None, Some(Json)),
            (Some(""), Some(Json)),
            (Some("*/*"), Some(Json)),
            (Some("application/json"), Some(Json)),
            (Some("application/graphql-response+json"), Some(GraphqlResponseJson)),
            (Some("application/graphql-response+json, application/json;q=0.9"), Some(GraphqlResponseJson)),
            (Some("application/json, application/graphql-response+json;q=0.5"), Some(Json)),
            (Some("application/json, application/graphql-response+json"), Some(GraphqlResponseJson)),
            (Some("text/html"), None),
            (Some("application/graphql-response+json;q=0"), None),
        ];
        for (accept, expected) in cases {
            assert_eq!(response_media(accept), expected, "{accept:?}");
        }
    }

    #[test]
    fn only_json_bodies_are_accepted() {
        assert!(is_json(Some("application/json")));
        assert!(is_json(Some("Application/JSON; charset=utf-8")));
        assert!(!is_json(Some("text/plain")));
        assert!(!is_json(Some("application/x-www-form-urlencoded")));
        assert!(!is_json(None));
    }
}
