use async_graphql::{Context, ID, Object};
use entity::audit_event;

use crate::graphql::{GlobalId, Instant, NodeKind};
use crate::users::graphql::User;

/// One change made through the API: who, in which institution, did what to what, when.
pub struct AuditEvent(pub audit_event::Model);

/// One change or account event recorded by the API: who, in which institution, did what to
/// what, when. Only the institution's admins read its events, and never through API tokens.
#[Object]
impl AuditEvent {
    /// The event's global ID.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::AuditEvent, self.0.id)
    }
    /// What was done, as `subject.verb`, e.g. `invitation.create` or `member.change_role`.
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// The type of object acted on, as in its global ID.
    async fn subject_type(&self) -> &str {
        &self.0.subject_type
    }
    /// The global ID of the object acted on (it may no longer exist).
    async fn subject_id(&self) -> ID {
        let kind = NodeKind::ALL.into_iter().find(|k| k.name() == self.0.subject_type);
        match kind {
            Some(kind) => GlobalId::encode(kind, self.0.subject_id),
            None => ID(self.0.subject_id.to_string()),
        }
    }
    /// The person who acted; null for an API token.
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(user_id) = self.0.actor_user_id else { return Ok(None) };
        Ok(crate::graphql::load_one::<crate::users::service::VisibleUsers>(ctx, user_id)
            .await?
            .map(User::from))
    }
    /// The API token that acted, if one did.
    async fn actor_token_id(&self) -> Option<ID> {
        self.0.actor_token_id.map(|id| GlobalId::encode(NodeKind::ApiToken, id))
    }
    /// When it happened (UTC).
    async fn occurred_at(&self) -> Instant {
        self.0.occurred_at.into()
    }
    /// What the action changed, as JSON text, where the action records it: observation writes
    /// (`observation.record`, `observation.void`) list each row changed as
    /// `{"site", "periodStart", "old", "new"}`, `old` and `new` being
    /// `{"value", "numerator", "denominator", "note", "voided"}` or null (no row before, or a
    /// row voided). Null for other actions. A bulk write's details are as long as its rows:
    /// weighed accordingly.
    #[graphql(complexity = "crate::graphql::cost::AUDIT_DETAILS")]
    async fn details(&self) -> Option<&str> {
        self.0.details.as_deref()
    }
}
