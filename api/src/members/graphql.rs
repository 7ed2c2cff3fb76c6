use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::invitation;
use entity::membership::{self, Role as DbRole};

use super::invitations::Accepted;
use crate::error::ServiceError;
use crate::graphql::context::auth;
use crate::graphql::{GlobalId, GqlResult, NodeKind, UserError, actor, outcome, request};
use crate::institutions::graphql::Institution;
use crate::members::{invitations, service};
use crate::mirror_enum;
use crate::users::graphql::User;

mirror_enum! {
    /// A member's role within an institution.
    Role <=> DbRole {
        /// Manages members, invitations and API tokens, and writes.
        Admin,
        /// Reads and writes the institution's data.
        Member,
        /// Reads only.
        Viewer,
    }
}

/// A user's place in an institution.
pub struct Membership(pub membership::Model, Option<Arc<Accepted>>);

impl Membership {
    pub fn of(model: membership::Model) -> Self {
        Self(model, None)
    }
}

#[Object]
impl Membership {
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Membership, self.0.id)
    }
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        if let Some(accepted) = &self.1 {
            return Ok(User(accepted.user.clone()));
        }
        let user =
            crate::graphql::load_one::<crate::users::service::VisibleUsers>(ctx, self.0.user_id).await?;
        user.map(User).ok_or_else(|| ServiceError::internal(Dangling("user"))).gql(ctx)
    }
    async fn institution(&self, ctx: &Context<'_>) -> async_graphql::Result<Institution> {
        if let Some(accepted) = &self.1 {
            return Ok(Institution(accepted.institution.clone()));
        }
        let institution =
            crate::graphql::load_one::<crate::institutions::service::Directory>(ctx, self.0.institution_id)
                .await?;
        institution.map(Institution).ok_or_else(|| ServiceError::internal(Dangling("institution"))).gql(ctx)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(Debug, thiserror::Error)]
#[error("membership refers to a missing {0}")]
struct Dangling(&'static str);

#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Revoked,
    Expired,
}

impl From<super::invitations::InvitationState> for InvitationStatus {
    fn from(state: super::invitations::InvitationState) -> Self {
        use super::invitations::InvitationState;
        match state {
            InvitationState::Pending => Self::Pending,
            InvitationState::Accepted => Self::Accepted,
            InvitationState::Revoked => Self::Revoked,
            InvitationState::Expired => Self::Expired,
        }
    }
}

/// An invitation to join an institution. Its token is shown only when it is created.
pub struct Invitation(pub invitation::Model);

#[Object]
impl Invitation {
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Invitation, self.0.id)
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    async fn status(&self, ctx: &Context<'_>) -> async_graphql::Result<InvitationStatus> {
        let now = request(ctx)?.db.now();
        Ok(super::invitations::status(&self.0, now).into())
    }
    async fn invited_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(user_id) = self.0.invited_by else { return Ok(None) };
        let user = crate::graphql::load_one::<crate::users::service::VisibleUsers>(ctx, user_id).await?;
        Ok(user.map(User))
    }
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    async fn accepted_at(&self) -> Option<DateTime<Utc>> {
        self.0.accepted_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(InputObject)]
pub struct InviteMemberInput {
    pub email: String,
    pub role: Role,
}

#[derive(SimpleObject)]
pub struct InviteMemberPayload {
    pub invitation: Option<Invitation>,
    /// Pass this to the invitee; it is shown once and only a hash is kept.
    pub invitation_token: Option<String>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RevokeInvitationInput {
    pub invitation_id: ID,
}

#[derive(SimpleObject)]
pub struct RevokeInvitationPayload {
    pub invitation: Option<Invitation>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct AcceptInvitationInput {
    pub token: String,
    /// Required when the invitation's email has no account yet.
    pub name: Option<String>,
    /// Required when the invitation's email has no account yet; at least 12 characters.
    pub password: Option<String>,
    pub profession: Option<String>,
}

#[derive(SimpleObject)]
pub struct AcceptInvitationPayload {
    /// The new membership; sign in (or `switchInstitution`) to act within it.
    pub membership: Option<Membership>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct ChangeMemberRoleInput {
    pub membership_id: ID,
    pub role: Role,
}

#[derive(SimpleObject)]
pub struct ChangeMemberRolePayload {
    pub membership: Option<Membership>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RemoveMemberInput {
    pub membership_id: ID,
}

#[derive(SimpleObject)]
pub struct RemoveMemberPayload {
    pub removed_membership_id: Option<ID>,
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct MemberMutation;

#[Object]
impl MemberMutation {
    /// Admins invite a person by email.
    async fn invite_member(
        &self,
        ctx: &Context<'_>,
        input: InviteMemberInput,
    ) -> async_graphql::Result<InviteMemberPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = invitations::invite(db, auth(ctx)?, actor, &input.email, input.role.into()).await;
        let (issued, user_errors) = outcome(ctx, result)?;
        Ok(InviteMemberPayload {
            invitation_token: issued.as_ref().map(|i| i.token.clone()),
            invitation: issued.map(|i| Invitation(i.invitation)),
            user_errors,
        })
    }

    async fn revoke_invitation(
        &self,
        ctx: &Context<'_>,
        input: RevokeInvitationInput,
    ) -> async_graphql::Result<RevokeInvitationPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.invitation_id, NodeKind::Invitation, "invitationId") {
            Ok(id) => invitations::revoke(db, actor, id).await,
            Err(e) => Err(e),
        };
        let (invitation, user_errors) = outcome(ctx, result)?;
        Ok(RevokeInvitationPayload { invitation: invitation.map(Invitation), user_errors })
    }

    /// Needs no credentials when the invitation's email has no account (one is created);
    /// otherwise sign in as that account first.
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        input: AcceptInvitationInput,
    ) -> async_graphql::Result<AcceptInvitationPayload> {
        let request = request(ctx)?;
        let acceptance = invitations::Acceptance {
            token: input.token,
            name: input.name,
            password: input.password,
            profession: input.profession,
        };
        let result =
            invitations::accept(&request.db, &auth(ctx)?.password_rules, request.actor.as_ref(), acceptance)
                .await;
        let (accepted, user_errors) = outcome(ctx, result)?;
        let membership = accepted.map(|a| {
            let accepted = Arc::new(a);
            Membership(accepted.membership.clone(), Some(accepted))
        });
        Ok(AcceptInvitationPayload { membership, user_errors })
    }

    /// Admins change a member's role; the last admin cannot be demoted.
    async fn change_member_role(
        &self,
        ctx: &Context<'_>,
        input: ChangeMemberRoleInput,
    ) -> async_graphql::Result<ChangeMemberRolePayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.membership_id, NodeKind::Membership, "membershipId") {
            Ok(id) => service::change_role(db, actor, id, input.role.into()).await,
            Err(e) => Err(e),
        };
        let (membership, user_errors) = outcome(ctx, result)?;
        Ok(ChangeMemberRolePayload { membership: membership.map(Membership::of), user_errors })
    }

    /// Admins remove a member, and anyone may remove themself; never the last admin.
    async fn remove_member(
        &self,
        ctx: &Context<'_>,
        input: RemoveMemberInput,
    ) -> async_graphql::Result<RemoveMemberPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.membership_id, NodeKind::Membership, "membershipId") {
            Ok(id) => service::remove(db, &auth(ctx)?.revocations, actor, id).await,
            Err(e) => Err(e),
        };
        let (removed, user_errors) = outcome(ctx, result)?;
        Ok(RemoveMemberPayload {
            removed_membership_id: removed.map(|id| GlobalId::encode(NodeKind::Membership, id)),
            user_errors,
        })
    }
}
