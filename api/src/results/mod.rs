//! Shared results: findings a project publishes, where tenant data deliberately crosses tenants,
//! so every rule of who sees what lives in `visibility`; and the programme's evaluation view.

pub mod adoption;
pub mod capacity;
pub mod engagement;
pub mod evaluation;
pub mod frozen_graphql;
pub mod graphql;
pub mod publications;
pub mod publications_graphql;
pub mod scopes;
pub mod service;
pub mod snapshot;
pub mod spread_graphql;
pub mod visibility;
pub mod warnings;

/// What got in the way, as a finding names it.
#[derive(
    async_graphql::Enum,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BarrierTag {
    /// Too little time: staff could not give the project the time it needed.
    TimePressure,
    /// Integration with existing electronic (often web-based) systems.
    ItIntegration,
    /// More monitoring data to collect than expected.
    DataCollectionBurden,
    /// Engaging clinicians, service users or others.
    Engagement,
    /// Leadership of the work, or the lack of it.
    Leadership,
    /// Money: the funding, or the lack of it.
    Funding,
    /// Something the other tags do not name; the result's summary or body says what.
    Other,
}

pub fn encode_tags(tags: &[BarrierTag]) -> String {
    let mut tags = tags.to_vec();
    tags.sort();
    tags.dedup();
    serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into())
}

/// Unknown tags are skipped: a row written by a newer version must stay readable.
pub fn decode_tags(text: &str) -> Vec<BarrierTag> {
    let names: Vec<String> = serde_json::from_str(text).unwrap_or_default();
    names.into_iter().filter_map(|n| serde_json::from_value(serde_json::Value::String(n)).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip_sorted_and_unique() {
        let text = encode_tags(&[BarrierTag::Funding, BarrierTag::TimePressure, BarrierTag::Funding]);
        assert_eq!(text, r#"["TIME_PRESSURE","FUNDING"]"#);
        assert_eq!(decode_tags(&text), vec![BarrierTag::TimePressure, BarrierTag::Funding]);
        assert_eq!(decode_tags(r#"["TIME_PRESSURE","NEW_TAG"]"#), vec![BarrierTag::TimePressure]);
    }
}
