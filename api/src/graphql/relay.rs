//! Relay global IDs as GraphQL `ID`s; the encoding itself is `crate::ids`.

use async_graphql::ID;
use uuid::Uuid;

pub use crate::ids::{GlobalId, NodeKind};

impl GlobalId {
    pub fn encode(kind: NodeKind, id: Uuid) -> ID {
        ID(crate::ids::global_id(kind, id))
    }

    /// The UUID of an ID that must name a `kind`, as a service error, for resolvers.
    pub fn require(raw: &ID, kind: NodeKind, field: &str) -> Result<Uuid, crate::error::ServiceError> {
        Self::expect(raw, kind, field).map_err(|e| crate::error::ServiceError::Invalid(vec![e]))
    }
}
