use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use entity::invitation;
use entity::membership::{self, Role as DbRole};

use super::invitations::Accepted;
use crate::error::ServiceError;
use crate::graphql::context::auth;
use crate::graphql::{GlobalId, GqlResult, Instant, NodeKind, UserError, actor, outcome, request};
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

/// A person's place in an institution, with their role there. Members of the institution see
/// its memberships; everyone sees their own (`viewer.memberships`).
#[Object]
impl Membership {
    /// The membership's global ID.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Membership, self.0.id)
    }
    /// The person's role in the institution.
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    /// The member.
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        if let Some(accepted) = &self.1 {
            return Ok(User::signed_in(accepted.user.clone()));
        }
        let user =
            crate::graphql::load_one::<crate::users::service::VisibleUsers>(ctx, self.0.user_id).await?;
        user.map(User::from).ok_or_else(|| ServiceError::internal(Dangling("user"))).gql(ctx)
    }
    /// The institution the person belongs to.
    async fn institution(&self, ctx: &Context<'_>) -> async_graphql::Result<Institution> {
        if let Some(accepted) = &self.1 {
            return Ok(Institution(accepted.institution.clone()));
        }
        let institution =
            crate::graphql::load_one::<crate::institutions::service::Directory>(ctx, self.0.institution_id)
                .await?;
        institution.map(Institution).ok_or_else(|| ServiceError::internal(Dangling("institution"))).gql(ctx)
    }
    /// When the person joined the institution (UTC).
    async fn created_at(&self) -> Instant {
        self.0.created_at.into()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("membership refers to a missing {0}")]
struct Dangling(&'static str);

/// Where an invitation stands now.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvitationStatus {
    /// Not accepted, revoked or expired: its token can still be accepted.
    Pending,
    /// Someone joined the institution with it.
    Accepted,
    /// An admin revoked it, or a newer invitation to the same email replaced it.
    Revoked,
    /// Its `expiresAt` passed before anyone accepted it.
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

/// An invitation to join an institution with a role, sent by email to the invitee. Its token
/// is shown only when it is made (`inviteMember`, or `createInstitution` for a first admin).
#[Object]
impl Invitation {
    /// The invitation's global ID.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Invitation, self.0.id)
    }
    /// The address invited, lower-cased. If it has an account, the invitee must be signed in as
    /// that account to accept.
    async fn email(&self) -> &str {
        &self.0.email
    }
    /// The role the invitee gets on accepting.
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    /// Where the invitation stands now, from its acceptance, revocation and expiry.
    async fn status(&self, ctx: &Context<'_>) -> async_graphql::Result<InvitationStatus> {
        let now = request(ctx)?.db.now();
        Ok(super::invitations::status(&self.0, now).into())
    }
    /// The person who made the invitation; null when they cannot be shown to you.
    async fn invited_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(user_id) = self.0.invited_by else { return Ok(None) };
        let user = crate::graphql::load_one::<crate::users::service::VisibleUsers>(ctx, user_id).await?;
        Ok(user.map(User::from))
    }
    /// When the invitation stops working if not accepted (UTC): seven days after it was made
    /// unless the deployment says otherwise.
    async fn expires_at(&self) -> Instant {
        self.0.expires_at.into()
    }
    /// When it was accepted (UTC); null until then.
    async fn accepted_at(&self) -> Option<Instant> {
        self.0.accepted_at.map(Into::into)
    }
    /// When it was revoked, or replaced by a newer invitation to the same email (UTC); null
    /// otherwise.
    async fn revoked_at(&self) -> Option<Instant> {
        self.0.revoked_at.map(Into::into)
    }
    /// When it was made (UTC).
    async fn created_at(&self) -> Instant {
        self.0.created_at.into()
    }
}

/// Whom to invite, and with which role.
#[derive(InputObject)]
pub struct InviteMemberInput {
    /// The invitee's email address; the invitation link is sent there. Blank is `REQUIRED`, a
    /// malformed address `INVALID`, someone who already belongs to the institution `ALREADY_MEMBER`.
    pub email: String,
    /// The role the invitee gets on accepting.
    pub role: Role,
}

/// The outcome of `inviteMember`.
#[derive(SimpleObject)]
pub struct InviteMemberPayload {
    /// The new invitation; null on error.
    pub invitation: Option<Invitation>,
    /// Pass this to the invitee; it is shown once and only a hash is kept.
    pub invitation_token: Option<String>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The invitation to revoke.
#[derive(InputObject)]
pub struct RevokeInvitationInput {
    /// The ID of a pending or expired invitation of your active institution.
    pub invitation_id: ID,
}

/// The outcome of `revokeInvitation`.
#[derive(SimpleObject)]
pub struct RevokeInvitationPayload {
    /// The invitation, now revoked; null on error.
    pub invitation: Option<Invitation>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The invitation token, and for a new account the person's details.
#[derive(InputObject)]
pub struct AcceptInvitationInput {
    /// The invitation token: `inviteMember`'s `invitationToken`, or the `token` parameter of the
    /// emailed link. `INVALID_TOKEN` if it is unknown, expired, revoked or already used.
    pub token: String,
    /// Required when the invitation's email has no account yet.
    pub name: Option<String>,
    /// Required when the invitation's email has no account yet; the same rules as
    /// `changePassword`'s `newPassword` (`INVALID`, `WEAK_PASSWORD`).
    pub password: Option<String>,
    /// Used only when the account is created: the person's profession, at most 200 characters;
    /// optional.
    pub profession: Option<String>,
}

/// The outcome of `acceptInvitation`.
#[derive(SimpleObject)]
pub struct AcceptInvitationPayload {
    /// The new membership; sign in (or `switchInstitution`) to act within it.
    pub membership: Option<Membership>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The membership and its new role.
#[derive(InputObject)]
pub struct ChangeMemberRoleInput {
    /// The ID of a membership of your active institution.
    pub membership_id: ID,
    /// The member's new role.
    pub role: Role,
}

/// The outcome of `changeMemberRole`.
#[derive(SimpleObject)]
pub struct ChangeMemberRolePayload {
    /// The membership with its new role; null on error.
    pub membership: Option<Membership>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The membership to end.
#[derive(InputObject)]
pub struct RemoveMemberInput {
    /// The ID of a membership of your active institution (your own, to leave it).
    pub membership_id: ID,
}

/// The outcome of `removeMember`.
#[derive(SimpleObject)]
pub struct RemoveMemberPayload {
    /// The ID of the membership removed; null on error.
    pub removed_membership_id: Option<ID>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct MemberMutation;

#[Object]
impl MemberMutation {
    /// Admins invite a person by email.
    /// Only people with the ADMIN role in the active institution (`FORBIDDEN` otherwise, API tokens
    /// included). The link is emailed to the invitee and replaces any pending invitation to that
    /// email; `userErrors`: `REQUIRED`, `INVALID`, `ALREADY_MEMBER`.
    async fn invite_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The invitee's email and role.")] input: InviteMemberInput,
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

    /// Revokes an invitation of the active institution so its token no longer works. The
    /// institution's ADMINs only (`FORBIDDEN` for its other members and API tokens); `userErrors`:
    /// `NOT_FOUND`, `INVALID` (a malformed ID, or an invitation already accepted or revoked).
    async fn revoke_invitation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The invitation to revoke.")] input: RevokeInvitationInput,
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
    /// otherwise sign in as that account first. `userErrors`: `INVALID_TOKEN`, `WRONG_ACCOUNT`
    /// (signed out, or signed in as another account), `ALREADY_MEMBER`, and for a new account
    /// `REQUIRED`, `INVALID`, `WEAK_PASSWORD`.
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The invitation token, and the details of a new account.")]
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
    /// The active institution's ADMINs only (`FORBIDDEN` for its other members and API tokens);
    /// `userErrors`: `NOT_FOUND` (not a membership of the active institution), `INVALID`, `LAST_ADMIN`.
    async fn change_member_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The membership and its new role.")] input: ChangeMemberRoleInput,
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
    /// The person's sessions within the institution end at once. `FORBIDDEN` for anyone else
    /// (API tokens included); `userErrors`: `NOT_FOUND`, `INVALID`, `LAST_ADMIN`.
    async fn remove_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The membership to end.")] input: RemoveMemberInput,
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
