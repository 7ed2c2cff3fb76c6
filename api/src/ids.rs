//! Global IDs: `base64url("Type:uuid")`, opaque to clients. Plain Rust, so services can
//! read IDs that arrive inside data (CSV rows, site keys); `graphql::relay` adds the GraphQL
//! `ID` forms.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use crate::error::{FieldError, UserErrorCode};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Institution,
    User,
    Membership,
    Invitation,
    ApiToken,
    AuditEvent,
    Programme,
    Project,
    ProjectSite,
    TeamMember,
    Commitment,
    CapacityAssessment,
    Measure,
    SharedResult,
}

impl NodeKind {
    pub const ALL: [NodeKind; 14] = [
        NodeKind::Institution,
        NodeKind::User,
        NodeKind::Membership,
        NodeKind::Invitation,
        NodeKind::ApiToken,
        NodeKind::AuditEvent,
        NodeKind::Programme,
        NodeKind::Project,
        NodeKind::ProjectSite,
        NodeKind::TeamMember,
        NodeKind::Commitment,
        NodeKind::CapacityAssessment,
        NodeKind::Measure,
        NodeKind::SharedResult,
    ];

    pub fn name(self) -> &'static str {
        match self {
            NodeKind::Institution => "Institution",
            NodeKind::User => "User",
            NodeKind::Membership => "Membership",
            NodeKind::Invitation => "Invitation",
            NodeKind::ApiToken => "ApiToken",
            NodeKind::AuditEvent => "AuditEvent",
            NodeKind::Programme => "Programme",
            NodeKind::Project => "Project",
            NodeKind::ProjectSite => "ProjectSite",
            NodeKind::TeamMember => "TeamMember",
            NodeKind::Commitment => "Commitment",
            NodeKind::CapacityAssessment => "CapacityAssessment",
            NodeKind::Measure => "Measure",
            NodeKind::SharedResult => "SharedResult",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GlobalId {
    pub kind: NodeKind,
    pub id: Uuid,
}

/// Longest ID text worth decoding; anything longer is not one of ours.
const MAX_ID_LEN: usize = 128;

/// The global ID of a row of `kind`.
pub fn global_id(kind: NodeKind, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{}", kind.name(), id))
}

impl GlobalId {
    pub fn decode(raw: &str) -> Option<Self> {
        if raw.len() > MAX_ID_LEN {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        let text = std::str::from_utf8(&bytes).ok()?;
        let (kind, id) = text.split_once(':')?;
        let decoded = Self { kind: NodeKind::from_name(kind)?, id: Uuid::try_parse(id).ok()? };
        // One object, one ID: another spelling of the same UUID (upper case, braces,
        // `urn:uuid:`, no hyphens) is an ID this API never emitted, so it names no object. It
        // reads as the nil UUID, which no row has: exactly like the ID of a missing object,
        // through the same lookups.
        if global_id(decoded.kind, decoded.id) == raw {
            Some(decoded)
        } else {
            Some(Self { id: Uuid::nil(), ..decoded })
        }
    }

    /// The UUID of an ID that must name a `kind`; anything else is an input error on `field`.
    pub fn expect(raw: &str, kind: NodeKind, field: &str) -> Result<Uuid, FieldError> {
        match Self::decode(raw) {
            Some(g) if g.kind == kind => Ok(g.id),
            _ => {
                Err(FieldError::new(field, UserErrorCode::Invalid, format!("not a valid {} ID", kind.name())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_keep_their_kind() {
        let id = Uuid::now_v7();
        let encoded = global_id(NodeKind::Membership, id);
        assert_eq!(GlobalId::decode(&encoded), Some(GlobalId { kind: NodeKind::Membership, id }));
        assert!(GlobalId::expect(&encoded, NodeKind::User, "id").is_err());
        assert_eq!(GlobalId::expect(&encoded, NodeKind::Membership, "id").unwrap(), id);
    }

    #[test]
    fn only_the_canonical_spelling_of_an_id_is_accepted() {
        let id = Uuid::now_v7();
        let spellings = [
            id.hyphenated().to_string().to_uppercase(),
            id.simple().to_string(),
            id.braced().to_string(),
            id.urn().to_string(),
        ];
        for spelling in spellings {
            let raw = URL_SAFE_NO_PAD.encode(format!("Project:{spelling}"));
            let decoded = GlobalId::decode(&raw);
            assert_eq!(decoded, Some(GlobalId { kind: NodeKind::Project, id: Uuid::nil() }), "{spelling}");
        }
        assert!(GlobalId::decode(&global_id(NodeKind::Project, id)).is_some());
    }

    #[test]
    fn garbage_is_not_an_id() {
        for raw in ["", "!!!", "VXNlcg", &"A".repeat(500), &URL_SAFE_NO_PAD.encode("Nope:0190")] {
            assert!(GlobalId::decode(raw).is_none(), "{raw}");
        }
    }
}
